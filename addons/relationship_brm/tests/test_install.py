from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestBrmInstall(TransactionCase):
    def test_business_partner_menu_under_relationships_root(self):
        menu = self.env.ref("relationship_brm.relationship_brm_partners_menu")
        root = self.env.ref("relationship_mgmt.relationship_root_menu")
        self.assertEqual(menu.parent_id, root)

    def test_manager_group_sees_business_partner_menu(self):
        manager = self.env["res.users"].create(
            {
                "name": "BRM Manager",
                "login": "brm_manager_install",
                "groups_id": [
                    (
                        6,
                        0,
                        [
                            self.env.ref(
                                "relationship_mgmt.group_relationship_manager"
                            ).id
                        ],
                    )
                ],
            }
        )
        visible = self.env["ir.ui.menu"].with_user(manager)._visible_menu_ids()
        self.assertIn(
            self.env.ref("relationship_brm.relationship_brm_partners_menu").id, visible
        )
