from ast import literal_eval

from odoo import SUPERUSER_ID, Command
from odoo.tests import TransactionCase, tagged

from odoo.addons.mail.tests.common import MockEmail


@tagged("post_install", "-at_install")
class TestSegmentMailing(TransactionCase, MockEmail):
    """Engagement segments are live mailing recipients; the mailing's traces
    become interactions on the email channel, following their status; the
    best channel is the one with the most positive outcomes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.Partner = cls.env["res.partner"]
        cls.Interaction = cls.env["relationship.interaction"]
        cls.champion_a = cls._customer("Champion A", "champion")
        cls.champion_b = cls._customer("Champion B", "champion")
        cls.at_risk = cls._customer("At Risk C", "at_risk")
        cls.unscored = cls.Partner.create(
            {"name": "Unscored D", "is_company": True, "email": "d@example.com"}
        )
        cls.contact_a = cls.Partner.create(
            {
                "name": "Anna of A",
                "parent_id": cls.champion_a.id,
                "email": "anna@a.example.com",
            }
        )
        cls.partner_model = cls.env.ref("base.model_res_partner")

    @classmethod
    def _customer(cls, name, tier):
        partner = cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "email": f"{name.split()[-1].lower()}@example.com",
            }
        )
        cls.env["relationship.engagement"].create(
            {
                "partner_id": partner.id,
                "company_id": cls.env.company.id,
                "tier": tier,
                "score": 90.0 if tier == "champion" else 40.0,
                "rfm_segment": "champions" if tier == "champion" else "at_risk",
            }
        )
        return partner

    def _mailing(self, domain):
        return self.env["mailing.mailing"].create(
            {
                "subject": "Spring offer",
                "body_html": "<p>Our spring offer.</p>",
                "mailing_model_id": self.partner_model.id,
                "mailing_domain": repr(domain),
                "user_id": self.env.uid,
            }
        )

    def _traces(self, mailing):
        return self.env["mailing.trace"].search([("mass_mailing_id", "=", mailing.id)])

    def test_tier_mailing_reaches_exactly_the_segment(self):
        mailing = self._mailing([("engagement_tier", "=", "champion")])
        with self.mock_mail_gateway():
            mailing.action_send_mail()
        traces = self._traces(mailing)
        self.assertEqual(
            sorted(traces.mapped("res_id")),
            sorted((self.champion_a | self.contact_a | self.champion_b).ids),
        )
        self.assertEqual(set(traces.mapped("trace_status")), {"sent"})

    def test_saved_filters_select_the_segments(self):
        for xmlid, expected in (
            ("mailing_filter_champions", self.champion_a | self.champion_b),
            ("mailing_filter_at_risk", self.at_risk),
            ("mailing_filter_rfm_cannot_lose", self.at_risk),
        ):
            saved = self.env.ref(f"relationship_mass_mailing.{xmlid}")
            found = self.Partner.search(
                [*literal_eval(saved.mailing_domain), ("is_company", "=", True)]
            )
            self.assertEqual(found, expected, xmlid)

    def _manual_program(self, **values):
        return self.env["relationship.program"].create(
            {
                "name": "Onboarding",
                "trigger": "manual",
                "company_id": self.company.id,
                **values,
                "step_ids": [
                    Command.create(
                        {
                            "name": "Call",
                            "action": "activity",
                            "activity_type_id": self.env.ref(
                                "mail.mail_activity_data_call"
                            ).id,
                            "assign_to": "user",
                            "user_id": SUPERUSER_ID,
                        }
                    )
                ],
            }
        )

    def test_program_enrolment_selects_recipients(self):
        program = self._manual_program()
        program._enrol_partners(self.at_risk)
        self.assertEqual(self.at_risk.relationship_program_ids, program)
        mailing = self._mailing([("relationship_program_ids", "in", program.ids)])
        self.assertEqual(mailing._get_recipients(), self.at_risk.ids)

    def test_traces_become_interactions_following_their_status(self):
        mailing = self._mailing([("engagement_tier", "=", "champion")])
        with self.mock_mail_gateway():
            mailing.action_send_mail()
        traces = self._traces(mailing)
        interactions = self.Interaction.search([("mailing_trace_id", "in", traces.ids)])
        self.assertEqual(len(interactions), 3)
        self.assertEqual(
            set(interactions.mapped(lambda i: (i.channel, i.direction, i.outcome))),
            {("email", "outbound", "no_answer")},
        )
        self.assertEqual(interactions.partner_id, self.champion_a | self.champion_b)
        trace_anna = traces.filtered(lambda t: t.res_id == self.contact_a.id)
        trace_b = traces.filtered(lambda t: t.res_id == self.champion_b.id)
        logged_anna = interactions.filtered(lambda i: i.mailing_trace_id == trace_anna)
        self.assertEqual(
            (logged_anna.partner_id, logged_anna.contact_id, logged_anna.name),
            (self.champion_a, self.contact_a, "Mailing Spring offer: Delivered"),
        )
        trace_anna.set_opened()
        self.assertEqual(logged_anna.outcome, "neutral")
        trace_anna.set_replied()
        self.assertEqual(
            (logged_anna.outcome, logged_anna.direction, logged_anna.name),
            ("positive", "inbound", "Mailing Spring offer: Replied"),
        )
        trace_b.set_bounced()
        logged_b = interactions.filtered(lambda i: i.mailing_trace_id == trace_b)
        self.assertEqual(logged_b.outcome, "negative")
        # Still one interaction per trace.
        self.assertEqual(
            self.Interaction.search_count([("mailing_trace_id", "in", traces.ids)]), 3
        )

    def _log(self, partner, channel, outcomes, company=None):
        self.Interaction.create(
            [
                {
                    "name": f"{channel} {index}",
                    "partner_id": partner.id,
                    "company_id": (company or self.company).id,
                    "channel": channel,
                    "outcome": outcome,
                }
                for index, outcome in enumerate(outcomes)
            ]
        )

    def test_best_channel_is_the_most_often_positive(self):
        partner = self.champion_a
        self.assertFalse(partner.relationship_best_channel)
        self._log(partner, "email", ["positive", "no_answer", "no_answer", "neutral"])
        self._log(partner, "phone", ["positive", "positive", "negative"])
        self._log(partner, "meeting", [False, False])  # no outcome: not counted
        other = self.env["res.company"].create({"name": "Other Co"})
        self._log(partner, "chat", ["positive"] * 5, company=other)
        for record in (partner, self.contact_a):
            record.invalidate_recordset()
            self.assertEqual(
                (
                    record.relationship_best_channel,
                    record.relationship_best_channel_count,
                    record.relationship_best_channel_rate,
                ),
                ("phone", 3, 66.7),
            )
        found = self.Partner.search(
            [("relationship_best_channel", "=", "phone"), ("is_company", "=", True)]
        )
        self.assertEqual(found, partner)
        self.assertEqual(partner.with_company(other).relationship_best_channel, "chat")
        self.assertEqual(
            self.contact_a.relationship_summary()[0]["best_channel"],
            {"channel": "phone", "interaction_count": 3, "positive_rate": 66.7},
        )
        self.assertFalse(self.champion_b.relationship_summary()[0]["best_channel"])

    def test_program_enrols_only_customers_of_its_best_channel(self):
        program = self._manual_program(best_channel="phone")
        self._log(self.champion_a, "phone", ["positive"])
        self._log(self.champion_b, "email", ["positive"])
        enrolments = program._enrol_partners(self.champion_a | self.champion_b)
        self.assertEqual(enrolments.partner_id, self.champion_a)

    def test_best_channel_tie_goes_to_more_interactions(self):
        self._log(self.champion_b, "email", ["positive", "negative"])
        self._log(
            self.champion_b, "phone", ["positive", "positive", "no_answer", "negative"]
        )
        self.assertEqual(
            (
                self.champion_b.relationship_best_channel,
                self.champion_b.relationship_best_channel_count,
            ),
            ("phone", 4),
        )
