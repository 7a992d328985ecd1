from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import TODAY
from .dispute_common import DisputeCommon


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestBrmDashboard(DisputeCommon):
    """The business relationship cards of the Relationships dashboard: SLA of
    open disputes, obligations breached and trust of key partners."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Dashboard = cls.env["relationship.dashboard"]
        cls.company_2 = cls.setup_other_company(name="BRM Dashboard Other")["company"]

    def _cards(self, user=None, company_ids=False):
        dashboard = self.Dashboard.with_user(user) if user else self.Dashboard
        data = dashboard.get_dashboard_data(company_ids)
        return {card["key"]: card for card in data["cards"]}

    def _opened(self, card, item_key=None):
        action = card["action"]
        domain = list(action["domain"])
        if item_key:
            item = next(item for item in card["items"] if item["key"] == item_key)
            domain += item["domain"]
        return self.env[action["res_model"]].search(domain)

    def _disputes_in(self, *states):
        disputes = self.Dispute
        for state in states:
            dispute = self._dispute(name=f"Dashboard dispute {state}")
            # sudo: the SLA state is kept by the SLA engine; the test sets it.
            dispute.sudo().sla_state = state
            disputes |= dispute
        return disputes

    def test_sla_compliance_of_open_disputes(self):
        disputes = self._disputes_in("ok", "ok", "at_risk", "breached", "none")
        closed = self._disputes_in("breached")
        closed.action_reject(reason="Not our fault")
        self.assertTrue(closed.is_closed)

        card = self._cards(company_ids=[self.env.company.id])["dispute_sla"]

        # 3 of the 4 open disputes with an SLA are within it.
        self.assertEqual(card["value"], 75.0)
        self.assertEqual(card["value_display"], "75 %")
        self.assertEqual(
            {item["key"]: item["value"] for item in card["items"]},
            {"ok": 2, "at_risk": 1, "breached": 1, "none": 1},
        )
        self.assertEqual(self._opened(card), disputes)
        self.assertEqual(
            self._opened(card, "breached"),
            disputes.filtered_domain([("sla_state", "=", "breached")]),
        )

    def test_obligations_breached_in_the_last_twelve_months(self):
        agreement = self._agreement(self.customer)
        obligation = self._obligation(agreement, "on_time_delivery", 95.0)
        Period = self.Period.sudo()  # periods are written by the measurement only
        Period.search([("obligation_id", "=", obligation.id)]).unlink()
        for start, status in (
            ("2026-03-01", "breached"),
            ("2026-04-01", "breached"),
            ("2026-05-01", "met"),
            ("2026-06-01", "at_risk"),
            ("2025-01-01", "breached"),  # ended more than a year ago
        ):
            date_from = TODAY.replace(year=int(start[:4]), month=int(start[5:7]), day=1)
            Period.create(
                {
                    "obligation_id": obligation.id,
                    "date_from": date_from,
                    "date_to": date_from + timedelta(days=27),
                    "status": status,
                }
            )

        card = self._cards(company_ids=[self.env.company.id])["obligations"]

        self.assertEqual(card["value"], 2)
        self.assertEqual(
            {item["key"]: item["value"] for item in card["items"]},
            {"breached": 2, "at_risk": 1, "met": 1, "no_data": 0},
        )
        self.assertIn("1 agreements concerned", card["subtitle"])
        self.assertEqual(len(self._opened(card, "breached")), 2)

    def test_trust_of_key_partners_lists_the_least_trusted_first(self):
        key = self._customer("Key Partner", relationship_tier="key")
        strategic = self._customer("Strategic Partner", relationship_tier="strategic")
        standard = self._customer("Standard Partner", relationship_tier="standard")
        Snapshot = self.Snapshot.sudo()  # snapshots are written by the recompute only
        for partner, score, current in (
            (key, 80.0, True),
            (key, 20.0, False),  # an older score
            (strategic, 50.0, True),
            (standard, 10.0, True),
        ):
            Snapshot.create(
                {
                    "partner_id": partner.id,
                    "company_id": self.env.company.id,
                    "date": TODAY if current else TODAY - timedelta(days=30),
                    "is_current": current,
                    "score": score,
                }
            )

        card = self._cards(company_ids=[self.env.company.id])["key_partner_trust"]

        self.assertEqual(card["value"], 65.0)
        self.assertEqual(
            [(item["label"], item["value"], item["tone"]) for item in card["items"]],
            [("Strategic Partner", 50.0, "warning"), ("Key Partner", 80.0, "success")],
        )
        self.assertEqual(self._opened(card).partner_id, key | strategic)

    def test_empty_cards_say_what_to_do(self):
        cards = self._cards(company_ids=[self.company_2.id])
        self.assertIn("Open Dispute", cards["dispute_sla"]["empty"])
        self.assertIn("Measure All Obligations", cards["obligations"]["empty"])
        self.assertIn("Partner Tier", cards["key_partner_trust"]["empty"])

    def test_brm_cards_only_for_users_who_may_read_them(self):
        cards = self._cards(self.user_relationship)
        self.assertLessEqual(
            {"dispute_sla", "obligations", "key_partner_trust"}, set(cards)
        )
        # A user who may not read disputes (access removed from its group
        # for the test) does not get their card; the others stay.
        self.env["ir.model.access"].search(
            [("model_id.model", "=", "relationship.dispute")]
        ).perm_read = False
        self.env.registry.clear_cache()
        cards = self._cards(self.user_relationship)
        self.assertNotIn("dispute_sla", cards)
        self.assertIn("obligations", cards)
        self.assertIn("tiers", cards)

    def test_salesperson_without_relationship_group_gets_nothing(self):
        salesman = new_test_user(
            self.env, login="brm_dash_sales", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaisesRegex(AccessError, "Only Relationships users"):
            self.Dashboard.with_user(salesman).get_dashboard_data()
