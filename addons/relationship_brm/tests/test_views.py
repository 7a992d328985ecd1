from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import BrmCommon

VIEWS = {
    "relationship.agreement": ("list", "kanban", "form", "search", "activity"),
    "relationship.agreement.round": ("list", "form"),
    "relationship.agreement.obligation": ("list", "form", "search"),
    "relationship.obligation.period": ("list", "form", "pivot", "search"),
    "relationship.trust.snapshot": ("list", "kanban", "form", "graph", "pivot"),
    "relationship.dispute": (
        "list",
        "kanban",
        "form",
        "search",
        "pivot",
        "graph",
        "activity",
    ),
    "relationship.dispute.stage": ("list",),
    "relationship.dispute.sla": ("list", "search"),
    "relationship.dispute.discount": ("list", "search"),
    "relationship.dispute.resolve": ("form",),
    "relationship.event": ("list", "form"),
}


@tagged("post_install", "-at_install")
class TestViews(BrmCommon):
    def test_views_render_for_users_and_managers(self):
        for user in (self.user_relationship, self.user_manager):
            for model, view_types in VIEWS.items():
                with self.subTest(user=user.login, model=model):
                    result = (
                        self.env[model]
                        .with_user(user)
                        .get_views([(False, view_type) for view_type in view_types])
                    )
                    self.assertEqual(set(result["views"]), set(view_types))

    def test_partner_form_shows_the_relationship_page_to_relationship_users(self):
        def arch(user):
            return (
                self.env["res.partner"]
                .with_user(user)
                .get_views([(False, "form")])["views"]["form"]["arch"]
            )

        self.assertIn('name="trust_breakdown"', arch(self.user_relationship))
        self.assertIn('name="relationship_brm"', arch(self.user_relationship))
        self.assertNotIn('name="trust_breakdown"', arch(self.user_plain))

    def test_menus_of_business_partners(self):
        visible = (
            self.env["ir.ui.menu"].with_user(self.user_relationship)._visible_menu_ids()
        )
        for xmlid in (
            "relationship_brm.relationship_agreement_menu",
            "relationship_brm.relationship_agreement_obligation_menu",
            "relationship_brm.relationship_trust_dashboard_menu",
            "relationship_brm.relationship_trust_snapshot_menu",
            "relationship_brm.relationship_dispute_menu",
            "relationship_brm.relationship_dispute_analysis_menu",
        ):
            self.assertIn(self.env.ref(xmlid).id, visible)
        # Configuration is for managers.
        for xmlid in (
            "relationship_brm.relationship_partner_type_menu",
            "relationship_brm.relationship_dispute_stage_menu",
            "relationship_brm.relationship_dispute_sla_menu",
        ):
            self.assertNotIn(self.env.ref(xmlid).id, visible)
        managed = (
            self.env["ir.ui.menu"].with_user(self.user_manager)._visible_menu_ids()
        )
        self.assertIn(
            self.env.ref("relationship_brm.relationship_dispute_sla_menu").id, managed
        )

    def test_refresh_now_menu_runs_every_batch_with_feedback(self):
        """Managers find every batch under Refresh Now, each telling what it
        did; users see neither the menu nor may run them."""
        menus = {
            "relationship_mgmt.relationship_recompute_all_menu",
            "relationship_mgmt.relationship_refresh_analytics_menu",
            "relationship_mgmt.relationship_crosssell_refresh_menu",
            "relationship_mgmt.relationship_kpi_measure_wizard_menu",
            "relationship_brm.relationship_refresh_obligations_menu",
            "relationship_brm.relationship_refresh_trust_menu",
        }
        refresh = self.env.ref("relationship_mgmt.relationship_refresh_menu")
        for xmlid in menus:
            self.assertEqual(self.env.ref(xmlid).parent_id, refresh, xmlid)
        Menu = self.env["ir.ui.menu"]
        self.assertIn(refresh.id, Menu.with_user(self.user_manager)._visible_menu_ids())
        self.assertNotIn(
            refresh.id, Menu.with_user(self.user_relationship)._visible_menu_ids()
        )
        agreement = self._agreement(self.customer)
        self._obligation(agreement, "on_time_delivery", 90.0)
        measured = (
            self.env["relationship.agreement.obligation"]
            .with_user(self.user_manager)
            .action_refresh_all()
        )
        self.assertEqual(measured["tag"], "display_notification")
        self.assertIn("obligations of", measured["params"]["message"])
        scored = (
            self.env["relationship.trust.snapshot"]
            .with_user(self.user_manager)
            .action_recompute_all()
        )
        self.assertIn("Business partners scored:", scored["params"]["message"])
        with self.assertRaises(AccessError):
            self.env["relationship.trust.snapshot"].with_user(
                self.user_relationship
            ).action_recompute_all()
