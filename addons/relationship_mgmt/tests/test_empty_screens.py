from odoo.tests import TransactionCase, tagged

# Analysis actions empty until a batch runs, with the Refresh Now menu that
# runs it.
REFRESHED_BY = {
    "relationship_analytics_action": "relationship_refresh_analytics_menu",
    "relationship_analytics_action_churn": "relationship_refresh_analytics_menu",
    "relationship_analytics_action_profitability_high": (
        "relationship_refresh_analytics_menu"
    ),
    "relationship_analytics_action_profitability_low": (
        "relationship_refresh_analytics_menu"
    ),
    "relationship_forecast_report_action": "relationship_refresh_analytics_menu",
    "relationship_analytics_fit_action": "relationship_refresh_analytics_menu",
    "relationship_engagement_action": "relationship_recompute_all_menu",
    "relationship_engagement_action_segments": "relationship_recompute_all_menu",
    "relationship_engagement_action_segment_moves": "relationship_recompute_all_menu",
    "relationship_engagement_snapshot_action": "relationship_recompute_all_menu",
    "relationship_program_enrolment_action": "relationship_recompute_all_menu",
    "relationship_product_affinity_action": "relationship_crosssell_refresh_menu",
    "relationship_recommendation_action": "relationship_crosssell_refresh_menu",
    "relationship_kpi_measurement_action": "relationship_kpi_measure_wizard_menu",
}


def menu_path(menu):
    """The path a user clicks to reach ``menu``, as the help writes it."""
    names = []
    while menu:
        names.insert(0, menu.name)
        menu = menu.parent_id
    return " › ".join(names)


@tagged("post_install", "-at_install")
class TestEmptyScreens(TransactionCase):
    def assertHelpNamesMenus(self, refreshed_by, module):
        refresh = self.env.ref("relationship_mgmt.relationship_refresh_menu")
        for action_xmlid, menu_xmlid in refreshed_by.items():
            with self.subTest(action=action_xmlid):
                action = self.env.ref(f"{module}.{action_xmlid}")
                menu = self.env.ref(f"{module}.{menu_xmlid}")
                self.assertEqual(menu.parent_id, refresh)
                self.assertIn(menu_path(menu), str(action.help or ""))

    def test_empty_analysis_screens_name_their_refresh_menu(self):
        self.assertHelpNamesMenus(REFRESHED_BY, "relationship_mgmt")

    def test_customer_value_opens_on_its_graph(self):
        action = self.env.ref("relationship_mgmt.relationship_analytics_action")
        self.assertEqual(action.view_mode.split(",")[0], "graph")
