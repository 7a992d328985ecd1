from datetime import datetime, time, timedelta

from lxml import etree

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import RelationshipCommon


@tagged("post_install", "-at_install")
class TestEngagementViews(RelationshipCommon):
    def test_views_load_for_a_relationship_user(self):
        env = self.env(user=self.user_relationship)
        views = env["relationship.engagement"].get_views(
            [
                (False, kind)
                for kind in ("list", "kanban", "form", "pivot", "graph", "search")
            ]
        )
        self.assertEqual(
            set(views["views"]), {"list", "kanban", "form", "pivot", "graph", "search"}
        )
        partner_form = env["res.partner"].get_views([(False, "form")])["views"]["form"]
        self.assertIn("engagement_breakdown", partner_form["arch"])
        history = env["relationship.engagement.snapshot"].get_views(
            [(False, "graph"), (False, "list")]
        )
        self.assertIn("graph", history["views"])

    def test_engagement_and_interactions_lead_the_button_box(self):
        """Odoo folds the button box after a few buttons: the engagement and
        the interactions come first (after Meetings), the addon's other
        buttons only when they count something, and Log Interaction sits under
        the name."""
        env = self.env(user=self.user_relationship)
        arch = etree.fromstring(
            env["res.partner"].get_views([(False, "form")])["views"]["form"]["arch"]
        )
        buttons = arch.xpath("//div[@name='button_box']/button")
        names = [button.get("name") for button in buttons]
        first = names.index("action_view_engagement_history")
        # Only calendar's Meetings (applied with the same priority) may lead.
        self.assertLessEqual(first, 1, names)
        self.assertEqual(names[first + 1], "action_view_relationship_interactions")
        by_name = {button.get("name"): button for button in buttons}
        for name in ("action_view_satisfaction", "action_view_program_enrolments"):
            self.assertIn("not ", by_name[name].get("invisible", ""), name)
        self.assertNotIn("action_log_relationship_interaction", by_name)
        self.assertTrue(
            arch.xpath(
                "//div[contains(@class, 'oe_title')]"
                "//button[@name='action_log_relationship_interaction']"
            )
        )

    def test_relationships_menu_visible_to_users_not_to_others(self):
        root = self.env.ref("relationship_mgmt.relationship_root_menu")
        Menu = self.env["ir.ui.menu"]
        self.assertIn(
            root.id, Menu.with_user(self.user_relationship)._visible_menu_ids()
        )
        self.assertNotIn(root.id, Menu.with_user(self.user_plain)._visible_menu_ids())
        recompute_all = self.env.ref(
            "relationship_mgmt.relationship_recompute_all_menu"
        )
        self.assertIn(
            recompute_all.id, Menu.with_user(self.user_manager)._visible_menu_ids()
        )
        self.assertNotIn(
            recompute_all.id, Menu.with_user(self.user_relationship)._visible_menu_ids()
        )

    def test_manager_group_implies_user_and_admin_is_manager(self):
        manager = self.env.ref("relationship_mgmt.group_relationship_manager")
        user = self.env.ref("relationship_mgmt.group_relationship_user")
        self.assertIn(user, manager.implied_ids)
        self.assertIn(self.env.ref("base.user_admin"), manager.users)


@tagged("post_install", "-at_install")
class TestEngagementTour(RelationshipCommon, HttpCase):
    """In a real browser, as a Relationships user."""

    def test_user_reads_the_reasons_of_a_score_in_browser(self):
        customer = self._customer("Tour Customer")
        order = self._order(customer, 0)
        # Dated from the real today: the browser's server does not run frozen.
        order.date_order = datetime.combine(
            fields.Date.today() - timedelta(days=12), time(10)
        )
        self._recompute(customer)
        self.start_tour(
            "/odoo/action-relationship_mgmt.relationship_engagement_action",
            "relationship_mgmt_engagement_reasons",
            login=self.user_relationship.login,
        )
