from datetime import datetime, time, timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from .common import RelationshipCommon


@tagged("post_install", "-at_install")
class TestRelationshipTours(RelationshipCommon, HttpCase):
    """The main flows of a Relationships user, in a real browser. The browser's
    server does not run frozen: documents are dated from the real today."""

    def _order_days_ago(self, partner, days):
        order = self._order(partner, 0)
        order.date_order = datetime.combine(
            fields.Date.today() - timedelta(days=days), time(10)
        )
        return order

    def _partner_url(self, partner):
        return f"/odoo/action-base.action_partner_form/{partner.id}"

    def test_recompute_engagement_from_the_contact(self):
        customer = self._customer("Tour Recompute")
        for days in (5, 40, 90):
            self._order_days_ago(customer, days)
        # Confirming the orders marked the customer for the next run.
        self.assertTrue(self._engagement(customer).needs_recompute)
        self.assertFalse(self._engagement(customer).date_computed)
        self.start_tour(
            self._partner_url(customer),
            "relationship_mgmt_engagement_recompute",
            login=self.user_relationship.login,
        )
        engagement = self._engagement(customer)
        self.assertEqual(len(engagement), 1)
        self.assertTrue(engagement.date_computed)
        self.assertFalse(engagement.needs_recompute)
        self.assertGreater(engagement.score, 0.0)

    def test_log_interaction_from_the_contact(self):
        customer = self._customer("Tour Interaction")
        self.start_tour(
            self._partner_url(customer),
            "relationship_mgmt_interaction_log",
            login=self.user_relationship.login,
        )
        interaction = self.env["relationship.interaction"].search(
            [("partner_id", "=", customer.id)]
        )
        self.assertEqual(interaction.name, "Call about the spring renewal")
        self.assertEqual(interaction.user_id, self.user_relationship)
        self.assertEqual(interaction.message_id.model, "res.partner")
        self.assertEqual(interaction.message_id.res_id, customer.id)
        self.assertEqual(
            interaction.date_follow_up, fields.Date.today() + timedelta(days=7)
        )
        activity = interaction.follow_up_activity_id
        self.assertEqual(activity.res_id, customer.id)
        self.assertEqual(activity.user_id, self.user_relationship)

    def test_enrol_a_filtered_segment_in_a_program(self):
        champions = self.env["res.partner"]
        for name in ("Tour Champion A", "Tour Champion B", "Tour Sleeper"):
            customer = self._customer(name, email=f"{name.split()[-1]}@example.com")
            self._order_days_ago(customer, 10)
            champions |= customer
        sleeper = champions[-1]
        champions -= sleeper
        self._recompute(*champions, sleeper)
        for customer in champions:
            self._engagement(customer).sudo().rfm_segment = "champions"
        self._engagement(sleeper).sudo().rfm_segment = "hibernating"
        program = self.env["relationship.program"].create(
            {
                "name": "Tour Welcome",
                "trigger": "manual",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Call",
                            "action": "activity",
                            "activity_type_id": self.env.ref(
                                "mail.mail_activity_data_call"
                            ).id,
                        }
                    )
                ],
            }
        )
        self.start_tour(
            "/odoo/action-relationship_mgmt.relationship_engagement_action",
            "relationship_mgmt_program_enrol_segment",
            login=self.user_manager.login,
        )
        enrolments = self.env["relationship.program.enrolment"].search(
            [("program_id", "=", program.id)]
        )
        self.assertEqual(enrolments.partner_id, champions)
        self.assertEqual(set(enrolments.mapped("trigger_ref")), {"manual"})

    def test_dashboard_card_opens_its_list(self):
        for name, tier in (
            ("Tour Dash Champion A", "champion"),
            ("Tour Dash Champion B", "champion"),
            ("Tour Dash Steady", "steady"),
        ):
            # sudo: scores are written by the engine only; the test stores them.
            self.env["relationship.engagement"].sudo().create(
                {
                    "partner_id": self._customer(name).id,
                    "company_id": self.env.company.id,
                    "tier": tier,
                }
            )
        self.start_tour(
            "/odoo/action-relationship_mgmt.relationship_dashboard_action",
            "relationship_mgmt_dashboard",
            login=self.user_relationship.login,
        )
