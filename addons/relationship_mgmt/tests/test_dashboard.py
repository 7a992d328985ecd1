from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import TODAY, RelationshipCommon


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestRelationshipDashboard(RelationshipCommon):
    """The cards of the Relationships app home on stored scores, analytics
    and answers built for each test, in the companies asked for."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Dashboard = cls.env["relationship.dashboard"]
        cls.company = cls.env.company
        cls.company_2 = cls.setup_other_company(name="Dashboard Other")["company"]

    # ---- Helpers ----

    def _scored(self, name, tier, before=None, company=None):
        """A customer of ``tier`` now, and of ``before`` in its snapshot of
        40 days ago."""
        company = company or self.company
        customer = self._customer(name)
        # sudo: scores are written by the engine only; the test stores them.
        self.env["relationship.engagement"].sudo().create(
            {"partner_id": customer.id, "company_id": company.id, "tier": tier}
        )
        if before:
            self.env["relationship.engagement.snapshot"].sudo().create(
                {
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "date": TODAY - timedelta(days=40),
                    "tier": before,
                }
            )
        return customer

    def _analysed(
        self, name, churn, revenue=0.0, predicted=0.0, orders=3, company=None
    ):
        customer = self._customer(name)
        # sudo: analytics are written by the refresh only; the test stores them.
        self.env["relationship.analytics"].sudo().create(
            {
                "partner_id": customer.id,
                "company_id": (company or self.company).id,
                "order_count": orders,
                "churn_risk": churn,
                "revenue_to_date": revenue,
                "predicted_revenue": predicted,
                "horizon_months": 12,
            }
        )
        return customer

    def _answers(self, kind, day, *values, company=None):
        company = company or self.company
        customer = self._customer(f"Answering {kind} {day} {values}")
        self.env["relationship.satisfaction"].with_company(company).create(
            [
                {
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "kind": kind,
                    "value": value,
                    "date": datetime.fromisoformat(day),
                }
                for value in values
            ]
        )

    def _cards(self, user=None, company_ids=False):
        dashboard = self.Dashboard.with_user(user) if user else self.Dashboard
        data = dashboard.get_dashboard_data(company_ids)
        return {card["key"]: card for card in data["cards"]}

    def _opened(self, card, item_key=None):
        """The records a click on the card (or one of its lines) opens."""
        action = card["action"]
        domain = list(action["domain"])
        if item_key:
            item = next(item for item in card["items"] if item["key"] == item_key)
            domain += item["domain"]
        return self.env[action["res_model"]].search(domain)

    # ---- Customers by tier ----

    def test_tiers_count_customers_and_their_movement(self):
        moved_up = self._scored("Dash Up", "champion", before="engaged")
        stayed = self._scored("Dash Stayed", "champion", before="champion")
        self._scored("Dash Down", "at_risk", before="steady")
        self._scored("Dash New", "new")
        self._scored("Dash Elsewhere", "champion", company=self.company_2)

        card = self._cards(company_ids=[self.company.id])["tiers"]

        self.assertEqual(card["value"], 4)
        items = {item["key"]: item for item in card["items"]}
        self.assertEqual(
            {key: item["value"] for key, item in items.items()},
            {
                "champion": 2,
                "engaged": 0,
                "steady": 0,
                "at_risk": 1,
                "dormant": 0,
                "new": 1,
            },
        )
        self.assertEqual(
            {key: item["delta"] for key, item in items.items() if item["delta"]},
            {"champion": 1, "engaged": -1, "steady": -1, "at_risk": 1, "new": 1},
        )
        self.assertEqual(items["champion"]["percent"], 50.0)
        self.assertEqual(card["trend"], {"up": 1, "down": 1})
        self.assertFalse(card["empty"])
        self.assertEqual(card["action"]["res_model"], "relationship.engagement")
        self.assertEqual(card["action"]["views"][0][1], "list")
        self.assertEqual(self._opened(card, "champion").partner_id, moved_up | stayed)

    def test_no_score_says_to_refresh(self):
        card = self._cards(company_ids=[self.company_2.id])["tiers"]
        self.assertEqual(card["value"], 0)
        self.assertIn("Refresh Now", card["empty"])
        self.assertIn("Recompute All Engagement Scores", card["empty"])
        user_card = self._cards(self.user_relationship)["tiers"]
        self.assertIn("A Relationships manager", user_card["empty"])

    # ---- Churn and revenue at risk ----

    def test_revenue_at_risk_sums_the_value_of_high_risk_customers(self):
        risky = self._analysed("Dash Risky", 70.0, revenue=1000.0, predicted=200.0)
        risky |= self._analysed("Dash Leaving", 60.0, revenue=500.0)
        self._analysed("Dash Medium", 40.0, revenue=9000.0, predicted=900.0)
        self._analysed("Dash Loyal", 10.0, revenue=5000.0, predicted=3000.0)
        self._analysed("Dash Never Ordered", 90.0, orders=0, revenue=100.0)
        self._analysed("Dash Other Risky", 95.0, revenue=7777.0, company=self.company_2)

        cards = self._cards(company_ids=[self.company.id])
        revenue = cards["revenue_at_risk"]

        self.assertEqual(revenue["value"], 1700.0)
        self.assertEqual(revenue["count"], 2)
        currency = self.company.currency_id
        self.assertEqual(revenue["currency"]["symbol"], currency.symbol)
        self.assertEqual(revenue["currency"]["position"], currency.position)
        self.assertIn(currency.symbol, revenue["value_display"])
        self.assertIn("1,700.00", revenue["value_display"])
        self.assertEqual(self._opened(revenue).partner_id, risky)
        # The most valuable of them first, each opening its own analytics.
        self.assertEqual(
            [(item["label"], item["value"]) for item in revenue["items"]],
            [("Dash Risky", 1200.0), ("Dash Leaving", 500.0)],
        )
        self.assertEqual(
            self._opened(revenue, revenue["items"][1]["key"]).partner_id,
            risky[1],
        )

        churn = cards["churn"]
        self.assertEqual(
            {item["key"]: item["value"] for item in churn["items"]},
            {"high": 2, "medium": 1, "low": 1},
        )
        self.assertEqual(churn["value"], 50.0)
        self.assertEqual(len(self._opened(churn, "medium")), 1)

    def test_revenue_at_risk_of_two_companies_in_the_current_currency(self):
        self._analysed("Dash Risky Here", 80.0, revenue=100.0)
        self._analysed("Dash Risky There", 80.0, revenue=50.0, company=self.company_2)
        self.env.user.company_ids = [Command.link(self.company_2.id)]

        card = self._cards(company_ids=[self.company.id, self.company_2.id])[
            "revenue_at_risk"
        ]

        self.assertEqual(card["count"], 2)
        converted = self.company_2.currency_id._convert(
            50.0, self.company.currency_id, self.company_2, TODAY
        )
        self.assertAlmostEqual(card["value"], 100.0 + converted, places=2)

    # ---- NPS and CSAT ----

    def test_nps_and_csat_by_month_with_their_trend(self):
        self._answers("nps", "2026-05-10 10:00:00", 10, 2)
        self._answers("nps", "2026-06-03 10:00:00", 10, 9, 7, 3)
        self._answers("csat", "2026-04-20 10:00:00", 3)
        self._answers("csat", "2026-06-05 10:00:00", 5, 4)
        self._answers("nps", "2026-06-05 10:00:00", 0, company=self.company_2)

        cards = self._cards(company_ids=[self.company.id])
        nps = cards["nps"]

        self.assertEqual(nps["value"], 25)
        self.assertEqual(nps["trend"]["delta"], 25)
        self.assertEqual(nps["trend"]["direction"], "up")
        self.assertEqual(len(nps["series"]), 6)
        self.assertEqual(
            [point["value"] for point in nps["series"]],
            [False, False, False, False, 0, 25],
        )
        self.assertEqual(len(self._opened(nps)), 6)

        csat = cards["csat"]
        self.assertEqual(csat["value"], 4.5)
        self.assertEqual(csat["trend"]["delta"], 1.5)
        self.assertEqual(csat["series"][3]["count"], 1)  # April

    def test_no_answer_says_where_to_record_them(self):
        cards = self._cards(company_ids=[self.company_2.id])
        self.assertFalse(cards["nps"]["value"])
        self.assertIn("Satisfaction", cards["nps"]["empty"])
        self.assertFalse(cards["csat"]["trend"])

    # ---- Companies and rights ----

    def test_default_companies_are_the_users(self):
        self._scored("Dash Mine", "steady")
        self._scored("Dash Not Mine", "steady", company=self.company_2)
        data = self.Dashboard.with_user(self.user_relationship).get_dashboard_data()
        self.assertEqual([c["id"] for c in data["companies"]], [self.company.id])
        tiers = next(card for card in data["cards"] if card["key"] == "tiers")
        self.assertEqual(tiers["value"], 1)

    def test_company_of_another_user_is_refused(self):
        Dashboard = self.Dashboard.with_user(self.user_relationship)
        with self.assertRaisesRegex(AccessError, "company you do not work in"):
            Dashboard.get_dashboard_data([self.company_2.id])

    def test_bad_company_ids_are_refused_clearly(self):
        for value, message in (
            (None, "Company ids must be a list of integers, got None"),
            (5, "Company ids must be a list of integers, got 5"),
            ("abc", "must be a list of integers"),
            ([True], "must be a list of integers"),
            ([999_999_999], "Unknown company ids: 999999999."),
            ([], "at least one company id"),
        ):
            with self.subTest(value=value), self.assertRaisesRegex(UserError, message):
                self.Dashboard.get_dashboard_data(value)

    def test_users_without_relationship_group_are_refused(self):
        portal = new_test_user(
            self.env, login="dash_portal", groups="base.group_portal"
        )
        for user in (self.user_plain, portal):
            with (
                self.subTest(user=user.login),
                self.assertRaisesRegex(AccessError, "Only Relationships users"),
            ):
                self.Dashboard.with_user(user).get_dashboard_data()

    def test_user_and_manager_read_every_card(self):
        for user in (self.user_relationship, self.user_manager):
            cards = self._cards(user)
            self.assertLessEqual(
                {"tiers", "revenue_at_risk", "churn", "nps", "csat"}, set(cards)
            )

    def test_queries_do_not_grow_with_the_customers(self):
        def queries():
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.Dashboard.get_dashboard_data([self.company.id])
            return self.env.cr.sql_log_count - before

        self._scored("Dash Counted", "steady", before="engaged")
        self._analysed("Dash Counted Risk", 80.0, revenue=10.0)
        queries()  # warms the caches (actions, groups)
        few = queries()
        for number in range(10):
            self._scored(f"Dash More {number}", "engaged", before="dormant")
            self._analysed(f"Dash More Risk {number}", 70.0, revenue=10.0)
            self._answers("nps", "2026-06-01 10:00:00", number)
        self.assertEqual(queries(), few)
