from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from ..engine import analytics as engine
from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCustomerAnalytics(RelationshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Analytics = cls.env["relationship.analytics"]

    def _refresh(self, as_of=None):
        return self.Analytics._refresh_company(self.env.company, as_of=as_of)

    def _analytics(self, partner):
        return self.Analytics.search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.env.company.id)]
        )

    def _buyer(self, name, last_days_ago, gap=30, count=5, amount=100.0):
        customer = self._customer(name)
        for index in range(count):
            self._order(customer, last_days_ago + gap * index, amount)
        return customer

    def test_regular_buyer_ninety_days_late_is_at_risk(self):
        late = self._buyer("Gone Quiet", last_days_ago=120)
        steady = self._buyer("Still Buying", last_days_ago=10)

        self._refresh()

        late_row, steady_row = self._analytics(late), self._analytics(steady)
        self.assertEqual(late_row.own_gap_days, 30.0)
        self.assertEqual(late_row.days_since_last_order, 120)
        self.assertEqual(late_row.churn_level, "high")
        self.assertGreaterEqual(late_row.churn_risk, 95.0)
        self.assertIn("90 days overdue", late_row.explanation)
        self.assertEqual(steady_row.churn_level, "low")
        self.assertAlmostEqual(steady_row.churn_risk, 25.0 * 10 / 30, places=1)
        self.assertEqual(steady_row.next_order_date, TODAY + timedelta(days=20))
        self.assertGreater(steady_row.predicted_revenue, late_row.predicted_revenue)
        # The partner shows it and can be searched by it.
        self.assertEqual(late.analytics_churn_level, "high")
        Partner = self.env["res.partner"]
        self.assertIn(late, Partner.search([("analytics_churn_level", "=", "high")]))
        self.assertNotIn(
            steady, Partner.search([("analytics_churn_level", "=", "high")])
        )

    def test_refunds_lower_margin_and_value(self):
        kept = self._buyer("No Refund", last_days_ago=10, count=3)
        refunded = self._buyer("Refunded", last_days_ago=10, count=3)
        for customer in (kept, refunded):
            self._invoice(customer, 9, 300.0)
        # A credit note of an order's invoice (linked to the order's line).
        refunded_line = (
            self.env["sale.order"]
            .search([("partner_id", "=", refunded.id)], limit=1)
            .order_line
        )
        self._invoice(
            refunded, 5, 120.0, move_type="out_refund", sale_lines=refunded_line
        )

        self._refresh()

        kept_row, refunded_row = self._analytics(kept), self._analytics(refunded)
        # Three orders of 100 at a cost of 60: 120 of margin.
        self.assertAlmostEqual(kept_row.margin_to_date, 120.0)
        self.assertAlmostEqual(refunded_row.margin_to_date, 0.0)
        self.assertAlmostEqual(kept_row.revenue_to_date, 300.0)
        self.assertAlmostEqual(refunded_row.revenue_to_date, 180.0)
        self.assertAlmostEqual(refunded_row.refund_to_date, 120.0)
        self.assertLess(refunded_row.predicted_margin, kept_row.predicted_margin)
        self.assertLess(refunded_row.lifetime_value, kept_row.lifetime_value)
        self.assertIn("Refunds of", refunded_row.explanation)

    def test_single_order_uses_the_company_rhythm(self):
        self._buyer("Regular A", last_days_ago=5, gap=20)
        self._buyer("Regular B", last_days_ago=5, gap=40)
        once = self._buyer("Bought Once", last_days_ago=45, count=1)

        self._refresh()

        row = self._analytics(once)
        self.assertFalse(row.own_gap_days)
        self.assertEqual(row.expected_gap_days, 30.0)  # median of 20 and 40
        self.assertEqual(row.order_count, 1)
        self.assertGreater(row.churn_risk, engine.IN_RHYTHM_RISK)
        self.assertIn("A single order", row.explanation)

    def test_no_orders_or_only_refunds(self):
        refunds_only = self._customer("Refunds Only")
        self._invoice(refunds_only, 20, 50.0, move_type="out_refund")
        quote_only = self._customer("Quotation Only")
        self._order(quote_only, 3, 500.0, confirm=False)

        self._refresh()

        row = self._analytics(refunds_only)
        self.assertEqual(row.order_count, 0)
        self.assertAlmostEqual(row.revenue_to_date, -50.0)
        self.assertFalse(row.churn_level)
        self.assertFalse(row.predicted_revenue)
        self.assertIn("No confirmed order", row.explanation)
        self.assertFalse(self._analytics(quote_only))
        self.assertNotIn(
            refunds_only,
            self.env["res.partner"].search([("analytics_churn_level", "=", "low")]),
        )

    def test_foreign_currency_orders_are_converted(self):
        foreign = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        pricelist = self.env["product.pricelist"].create(
            {"name": "Foreign", "currency_id": foreign.id}
        )
        customer = self._customer("Foreign Buyer")
        order = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "pricelist_id": pricelist.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 1.0,
                            "price_unit": 400.0,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        self.assertEqual(order.currency_id, foreign)

        self._refresh()

        row = self._analytics(customer)
        # 400 in the foreign currency at 2 per company unit: 200; cost 60.
        self.assertAlmostEqual(row.average_order_value, 200.0)
        self.assertAlmostEqual(row.margin_to_date, 140.0)

    def test_patterns_season_and_preferred_category(self):
        category = self.env["product.category"].create({"name": "Garden"})
        garden = self._create_product(
            name="Hose", lst_price=10.0, standard_price=4.0, categ_id=category.id
        )
        customer = self._customer("Seasonal")
        for year in (1, 2):
            for month in (3, 11):
                day = TODAY.replace(year=TODAY.year - year, month=month, day=10)
                order = self._order(customer, (TODAY - day).days, 50.0)
                order.order_line[0].copy(
                    {"order_id": order.id, "product_id": garden.id, "price_unit": 500.0}
                )
        self._refresh()

        row = self._analytics(customer)
        self.assertEqual(row.season_mask, (1 << 2) | (1 << 10))
        self.assertEqual(row.with_context(lang="en_US").season_months, "Mar, Nov")
        self.assertEqual(row.categ_id, category)

    def test_forecast_follows_the_rhythm_next_to_the_pipeline(self):
        steady = self._buyer("Monthly", last_days_ago=10, amount=100.0)
        self.env.company.analytics_forecast_months = 3
        lead = self.env["crm.lead"].create(
            {
                "name": "Big deal",
                "type": "opportunity",
                "partner_id": steady.id,
                "expected_revenue": 1000.0,
                "probability": 40.0,
                "date_deadline": TODAY + timedelta(days=40),
            }
        )

        self._refresh()

        row = self._analytics(steady)
        report = self.env["relationship.forecast.report"].search(
            [("partner_id", "=", steady.id)], order="date"
        )
        forecast = report.filtered(lambda r: r.source == "rhythm")
        keep = 1 - row.churn_risk / 100
        # Next order on July 5th, then every 30 days: Aug 4th; Sept 3rd is
        # after the 3 months (June-August).
        self.assertEqual(
            [(f.date.month, round(f.expected_revenue, 2)) for f in forecast],
            [(7, round(100 * keep, 2)), (8, round(100 * keep, 2))],
        )
        # The SQL view and the back-test function apply the same rule.
        values = {
            "forecast_purchases": row.forecast_purchases,
            "next_order_value": row.next_order_value,
        }
        self.assertEqual(
            engine.monthly_forecast(values, row.date_as_of),
            [(f.date, round(f.expected_revenue, 2)) for f in forecast],
        )
        pipeline = report.filtered(lambda r: r.source == "pipeline")
        self.assertEqual(pipeline.expected_revenue, 400.0)
        self.assertEqual(pipeline.date, (TODAY + timedelta(days=40)).replace(day=1))
        self.assertEqual(pipeline.company_id, lead.company_id)

    def test_back_test_date_hides_later_documents(self):
        customer = self._buyer("Back-test", last_days_ago=10, count=4)
        self._refresh(as_of=TODAY - timedelta(days=35))

        row = self._analytics(customer)
        self.assertEqual(row.order_count, 3)
        self.assertEqual(row.last_order_date, TODAY - timedelta(days=40))

    def test_settings_are_validated(self):
        company = self.env.company
        for values, message in (
            ({"analytics_horizon_months": 0}, "between 1 and 120 months, not 0"),
            ({"analytics_horizon_months": -3}, "between 1 and 120 months, not -3"),
            ({"analytics_forecast_months": 25}, "between 1 and 24 months, not 25"),
        ):
            with (
                self.assertRaisesRegex(ValidationError, message),
                self.env.cr.savepoint(),
            ):
                company.write(values)
                company.flush_recordset()
            company.invalidate_recordset()
        self.assertEqual(company.analytics_horizon_months, 12)
        self.assertEqual(company.analytics_forecast_months, 6)
        # An unknown model setting is refused by the field itself.
        with self.assertRaises(ValueError), self.env.cr.savepoint():
            company.write({"analytics_model": "arima"})
        company.invalidate_recordset()
        self.assertEqual(company.analytics_model, "pareto_nbd")

    def test_rights_and_views(self):
        self._buyer("Visible", last_days_ago=10)
        self._refresh()
        user_env = self.env(user=self.user_relationship)
        rows = user_env["relationship.analytics"].search([])
        self.assertTrue(rows)
        views = user_env["relationship.analytics"].get_views(
            [(False, kind) for kind in ("list", "form", "pivot", "graph", "search")]
        )
        self.assertEqual(len(views["views"]), 5)
        self.assertTrue(
            user_env["relationship.forecast.report"].get_views([(False, "pivot")])
        )
        with self.assertRaises(AccessError):
            user_env["relationship.analytics"].refresh_analytics()
        with self.assertRaises(AccessError):
            rows.unlink()
        with self.assertRaises(AccessError):
            self.env(user=self.user_plain)["relationship.analytics"].search([])
        result = self.env(user=self.user_manager)[
            "relationship.analytics"
        ].refresh_analytics()
        self.assertEqual(result["companies"], [self.env.company.id])
        self.assertEqual(result["customers"], 1)

    def test_other_company_does_not_see_or_count(self):
        other = self.setup_other_company(name="Analytics Other")["company"]
        customer = self._customer("Shared")
        self._order(customer, 10, 100.0)
        self._order(customer, 20, 900.0, company=other)
        self._refresh()
        self.Analytics._refresh_company(other)

        mine = self._analytics(customer)
        self.assertAlmostEqual(mine.average_order_value, 100.0)
        theirs = self.Analytics.search(
            [("partner_id", "=", customer.id), ("company_id", "=", other.id)]
        )
        self.assertAlmostEqual(theirs.average_order_value, 900.0)
        visible = self.env(user=self.user_relationship)["relationship.analytics"]
        self.assertEqual(visible.search([("partner_id", "=", customer.id)]), mine)

    def test_query_count_does_not_grow_with_customers(self):
        def queries_for(count, prefix):
            for index in range(count):
                self._buyer(f"{prefix} {index}", last_days_ago=5 + index, count=2)
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            self._refresh()
            return self.env.cr.sql_log_count - before

        # The first refresh creates the company's model fit, the next one
        # updates it (fills the caches it reads) like every later one.
        queries_for(1, "Warm-up")
        queries_for(1, "Second warm-up")
        self.assertEqual(queries_for(2, "Small"), queries_for(10, "Large"))
