from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, HelpdeskCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestTicketEngagement(HelpdeskCommon):
    """A customer's tickets are service issues of its engagement: each open
    ticket, each ticket past its SLA and each reopening costs the service
    component as much as an open dispute (25 points), with the reason in
    words; ratings move satisfaction; tickets of another company never
    count; ticket events mark the customer for the incremental recompute."""

    def _reason(self, engagement, component):
        prefix = f"{component}: "
        return next(
            line for line in engagement.reasons.split("\n") if line.startswith(prefix)
        )

    def test_open_ticket_lowers_service_and_says_why(self):
        engagement = self._engagement()
        self.assertEqual(engagement.service_score, 100.0)
        ticket = self._ticket()
        engagement = self._engagement()
        self.assertEqual(engagement.open_dispute_count, 1)
        self.assertEqual(engagement.service_score, 75.0)
        self.assertEqual(
            self._reason(engagement, "Service"),
            "Service: 75 — Open disputes: 0; open tickets: 1, past their SLA: 0, "
            "reopened in the last 365 days: 0",
        )
        ticket.stage_id = self.stage_done
        engagement = self._engagement()
        self.assertEqual(engagement.service_score, 100.0)

    def test_ticket_and_dispute_add_up(self):
        self._ticket()
        self._dispute()
        engagement = self._engagement()
        self.assertEqual(engagement.service_score, 50.0)
        self.assertIn("Open disputes: 1; open tickets: 1,", engagement.reasons)

    def test_reopened_ticket_counts_once_more(self):
        ticket = self._ticket()
        ticket.stage_id = self.stage_done
        self.assertEqual(ticket.relationship_reopen_count, 0)
        ticket.stage_id = self.stage_progress
        self.assertEqual(ticket.relationship_reopen_count, 1)
        self.assertEqual(ticket.relationship_date_reopened, datetime(2026, 6, 15))
        engagement = self._engagement()
        # Open again (25) and reopened in the window (25).
        self.assertEqual(engagement.service_score, 50.0)
        self.assertIn(
            "open tickets: 1, past their SLA: 0, reopened", engagement.reasons
        )
        self.assertTrue(engagement.reasons.endswith("last 365 days: 1"))

    def test_ticket_past_its_sla_counts_once_more(self):
        if "helpdesk.sla" not in self.env:
            self.skipTest("helpdesk_mgmt_sla is not installed")
        team = self.env["helpdesk.ticket.team"].create(
            {"name": "Support", "use_sla": True, "company_id": self.env.company.id}
        )
        self.env["helpdesk.sla"].create(
            {
                "name": "Solved in 4 hours",
                "team_ids": [(6, 0, team.ids)],
                "hours": 4,
                "stage_id": self.stage_done.id,
            }
        )
        ticket = self._ticket(team_id=team.id, stage_id=self.stage_progress.id)
        self.assertEqual(len(ticket.ticket_sla_ids), 1)
        # The SLA runs from the ticket's creation (the transaction's time, which
        # freezegun does not move): three days later it is past.
        with freeze_time(ticket.create_date + timedelta(days=3)):
            ticket.invalidate_recordset(["sla_expired"])
            self.assertTrue(ticket.sla_expired)
            engagement = self._engagement()
            self.assertEqual(engagement.service_score, 50.0)
            self.assertIn("open tickets: 1, past their SLA: 1,", engagement.reasons)

    def test_ticket_of_another_company_never_counts(self):
        other = self.env["res.company"].create({"name": "Other Retail Co"})
        self._ticket(company_id=other.id)
        engagement = self._engagement()
        self.assertEqual(engagement.service_score, 100.0)
        signals = self.Engagement._engagement_ticket_signals(
            self.env.company, [self.customer.id]
        )
        self.assertEqual(signals, {})
        self.assertEqual(
            self.Engagement._engagement_ticket_signals(other, [self.customer.id]),
            {self.customer.id: (1, 0, 0)},
        )

    def test_ticket_signals_read_in_one_query(self):
        others = [self._customer(f"Customer {i}") for i in range(3)]
        for partner in others:
            self._ticket(partner=partner)
        self.env.flush_all()
        ids = [partner.id for partner in others]
        # Warm the company's settings up, as the scoring run has them.
        self.Engagement._engagement_ticket_signals(self.env.company, ids)
        with self.assertQueryCount(1):
            signals = self.Engagement._engagement_ticket_signals(self.env.company, ids)
        self.assertEqual(signals, {pid: (1, 0, 0) for pid in ids})

    def test_ticket_events_mark_the_customer(self):
        engagement = self._engagement()
        self.assertFalse(engagement.needs_recompute)
        ticket = self._ticket()
        engagement.invalidate_recordset(["needs_recompute"])
        self.assertTrue(engagement.needs_recompute)
        engagement = self._engagement()
        self.assertFalse(engagement.needs_recompute)
        ticket.stage_id = self.stage_done
        engagement.invalidate_recordset(["needs_recompute"])
        self.assertTrue(engagement.needs_recompute)
        engagement = self._engagement()
        # A change that moves no signal marks nothing.
        ticket.notes = "<p>Called back.</p>"
        engagement.invalidate_recordset(["needs_recompute"])
        self.assertFalse(engagement.needs_recompute)

    def test_ticket_rating_moves_satisfaction(self):
        if "rating_ids" not in self.Ticket._fields:
            self.skipTest("helpdesk_mgmt_rating is not installed")
        engagement = self._engagement()
        self.assertIn("No satisfaction feedback", engagement.reasons)
        ticket = self._ticket()
        token = ticket._rating_get_access_token()
        ticket.rating_apply(5, token=token, feedback="Quick and kind")
        response = self.env["relationship.satisfaction"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(
            (response.kind, response.value, response.source, response.company_id),
            ("csat", 5, "rating", self.env.company),
        )
        engagement = self._engagement()
        self.assertEqual(engagement.satisfaction_score, 100.0)
        second = self._ticket()
        second.rating_apply(1, token=second._rating_get_access_token())
        engagement = self._engagement()
        self.assertEqual(engagement.satisfaction_score, 50.0)
        self.assertIn(
            "Satisfaction: 50 — Satisfaction 50/100, with 2 ticket ratings",
            engagement.reasons,
        )
