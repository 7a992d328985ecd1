import json

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import TODAY, BrmCommon, day


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestRelationshipSummary(BrmCommon):
    """The relationship summary and the obligation status other systems read
    in one call: plain values, the caller's rights, and the same number of
    queries for 2 partners as for 6."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls.env["res.partner"]
        cls.agreements = cls.Agreement
        for index in range(6):
            partner = cls._customer(f"Summary Partner {index}")
            agreement = cls._agreement(partner)
            cls._obligation(agreement, "min_volume", 500.0)
            cls._obligation(agreement, "on_time_delivery", 90.0)
            cls._sale(partner, day("2026-05-04"))
            cls.partners |= partner
            cls.agreements |= agreement
        cls.Obligation.refresh_obligations(cls.agreements.ids)
        cls.env["relationship.engagement"].recompute_engagement(cls.partners.ids)
        cls.env["relationship.analytics"].refresh_analytics()
        cls.Snapshot.recompute_trust(cls.partners.ids)
        cls.contact = cls.env["res.partner"].create(
            {"name": "Summary Contact", "parent_id": cls.partners[0].id}
        )

    def _queries(self, function):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        function()
        return self.env.cr.sql_log_count - before

    def test_summary_holds_scores_agreements_obligations_and_trust(self):
        partner = self.partners[0]
        rows = (self.contact | partner).with_user(self.user_relationship)
        result = rows.relationship_summary()

        self.assertEqual(json.loads(json.dumps(result)), result)
        self.assertEqual([row["id"] for row in result], [self.contact.id, partner.id])
        row = result[1]
        self.assertEqual(result[0]["customer_id"], partner.id)
        self.assertEqual(row["company_id"], self.env.company.id)
        self.assertNotEqual(row["engagement"]["tier"], "new")
        self.assertEqual(row["engagement"]["date_computed"][:10], "2026-06-15")
        reasons = {
            line["component"]: line["reason"] for line in row["engagement"]["breakdown"]
        }
        self.assertIn("1 confirmed order in", reasons["Frequency"])
        self.assertIsInstance(row["analytics"]["churn_risk"], float)
        self.assertGreater(row["analytics"]["next_order_date"], "2026-06-15")
        (agreement,) = row["agreements"]
        self.assertEqual(agreement["id"], self.agreements[0].id)
        self.assertEqual(
            (agreement["date_start"], agreement["date_end"]),
            ("2026-01-01", "2026-12-31"),
        )
        statuses = {o["kind"]: o for o in agreement["obligations"]}
        self.assertEqual(set(statuses), {"min_volume", "on_time_delivery"})
        volume = statuses["min_volume"]
        # June, the running period: 1000 ordered in May, nothing yet in June.
        self.assertEqual(
            (volume["date_from"], volume["date_to"], volume["is_open"]),
            ("2026-06-01", "2026-06-30", True),
        )
        self.assertEqual(volume["target"], 500.0)
        self.assertEqual(row["trust"]["date"], "2026-06-15")
        self.assertTrue(row["trust"]["breakdown"])
        self.assertIn(row["open_dispute_count"], (False, 0))
        self.assertEqual(result[0]["agreements"], row["agreements"])

    def test_summary_does_not_query_per_partner(self):
        few, many = self.partners[:2], self.partners
        many.relationship_summary()  # warm up
        few_count = self._queries(few.relationship_summary)
        many_count = self._queries(many.relationship_summary)
        self.assertEqual(few_count, many_count)

    def test_obligation_status_does_not_query_per_agreement(self):
        few, many = self.agreements[:2], self.agreements
        many.obligation_status()  # warm up
        few_count = self._queries(few.obligation_status)
        many_count = self._queries(many.obligation_status)
        self.assertEqual(few_count, many_count)
        result = many.with_user(self.user_relationship).obligation_status()
        self.assertEqual([row["id"] for row in result], many.ids)
        self.assertEqual([len(row["obligations"]) for row in result], [2] * len(many))

    def test_caller_rights(self):
        with self.assertRaisesRegex(AccessError, "Only Relationships users"):
            self.partners.with_user(self.user_plain).relationship_summary()
        with self.assertRaisesRegex(AccessError, "Only Relationships users"):
            self.agreements.with_user(self.user_plain).obligation_status()
        other_company = self.env["res.company"].create({"name": "Summary Elsewhere"})
        foreign = self.env["res.partner"].create(
            {"name": "Foreign", "company_id": other_company.id}
        )
        message = f"Partner ids {foreign.id}: they belong to a company you do not"
        with self.assertRaisesRegex(AccessError, message):
            (self.partners[0] | foreign).with_user(
                self.user_relationship
            ).relationship_summary()

    def test_wrong_ids(self):
        Partner = self.env["res.partner"]
        with self.assertRaisesRegex(UserError, "Unknown partner ids: -1, 999999999."):
            Partner.browse([self.partners[0].id, 999999999, -1]).relationship_summary()
        with self.assertRaisesRegex(UserError, "at most 1000 partners per call"):
            Partner.browse(range(1, 1002)).relationship_summary()
        with self.assertRaisesRegex(UserError, "Unknown agreement ids: 999999999."):
            self.Agreement.browse([999999999]).obligation_status()
