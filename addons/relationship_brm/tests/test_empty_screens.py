from odoo.tests import tagged

from odoo.addons.relationship_mgmt.tests.test_empty_screens import TestEmptyScreens

REFRESHED_BY = {
    "relationship_trust_snapshot_action": "relationship_refresh_trust_menu",
    "relationship_trust_dashboard_action": "relationship_refresh_trust_menu",
    "relationship_obligation_period_action": "relationship_refresh_obligations_menu",
}


@tagged("post_install", "-at_install")
class TestBrmEmptyScreens(TestEmptyScreens):
    def test_empty_partner_screens_name_their_refresh_menu(self):
        self.assertHelpNamesMenus(REFRESHED_BY, "relationship_brm")
