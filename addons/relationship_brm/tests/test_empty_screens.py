from odoo.tests import TransactionCase, tagged

# Analysis actions empty until a batch runs, with the Refresh Now menu that
# runs it (relationship_mgmt's test_empty_screens checks its own).
REFRESHED_BY = {
    "relationship_trust_snapshot_action": "relationship_refresh_trust_menu",
    "relationship_trust_dashboard_action": "relationship_refresh_trust_menu",
    "relationship_obligation_period_action": "relationship_refresh_obligations_menu",
}


@tagged("post_install", "-at_install")
class TestBrmEmptyScreens(TransactionCase):
    def test_empty_partner_screens_name_their_refresh_menu(self):
        refresh = self.env.ref("relationship_mgmt.relationship_refresh_menu")
        for action_xmlid, menu_xmlid in REFRESHED_BY.items():
            with self.subTest(action=action_xmlid):
                action = self.env.ref(f"relationship_brm.{action_xmlid}")
                menu = self.env.ref(f"relationship_brm.{menu_xmlid}")
                self.assertEqual(menu.parent_id, refresh)
                path = " › ".join([refresh.parent_id.name, refresh.name, menu.name])
                self.assertIn(path, str(action.help or ""))
