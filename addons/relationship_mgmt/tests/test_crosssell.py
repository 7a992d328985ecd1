from datetime import datetime, time, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import TODAY, RelationshipCommon


class CrosssellCommon(RelationshipCommon):
    """Five customers and four products in two categories:

    ====  ===========
    c1    A, B
    c2    A, B
    c3    A, C
    c4    B, D
    c5    D
    ====  ===========

    Customers buying each product: A 3, B 3, C 1, D 2 (N = 5)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Affinity = cls.env["relationship.product.affinity"]
        cls.Recommendation = cls.env["relationship.recommendation"]
        Category = cls.env["product.category"]
        cls.categ_x = Category.create({"name": "Cross-sell X"})
        cls.categ_y = Category.create({"name": "Cross-sell Y"})
        cls.product_a, cls.product_b, cls.product_c, cls.product_d = (
            cls._create_product(
                name=f"Product {letter}",
                lst_price=100.0,
                standard_price=60.0,
                categ_id=categ.id,
                type="service",
            )
            for letter, categ in (
                ("A", cls.categ_x),
                ("B", cls.categ_x),
                ("C", cls.categ_y),
                ("D", cls.categ_y),
            )
        )
        cls.salesperson = cls.env["res.users"].search(
            [("login", "=", "rel_user")], limit=1
        )
        cls.c1, cls.c2, cls.c3, cls.c4, cls.c5 = (
            cls._customer(f"Basket {index}", user_id=cls.salesperson.id)
            for index in range(1, 6)
        )
        a, b, c, d = cls.product_a, cls.product_b, cls.product_c, cls.product_d
        cls._basket(cls.c1, [a, b], 30)
        cls._basket(cls.c1, [a], 60)
        cls._basket(cls.c2, [a, b], 40)
        cls._basket(cls.c3, [a], 50)
        cls._basket(cls.c3, [c], 20)
        cls._basket(cls.c4, [b, d], 10)
        cls._basket(cls.c5, [d], 15)

    @classmethod
    def _basket(cls, partner, products, days_ago, company=None, confirm=True):
        """A sale order of one unit of each product at 100, ``days_ago``
        before TODAY."""
        company = company or cls.env.company
        order = (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": 1.0,
                                "price_unit": 100.0,
                                "tax_id": [Command.clear()],
                            }
                        )
                        for product in products
                    ],
                }
            )
        )
        if confirm:
            order.action_confirm()
        order.date_order = datetime.combine(TODAY - timedelta(days=days_ago), time(10))
        return order

    def _refresh(self, company=None):
        return self.Affinity._refresh_company(company or self.env.company)

    def _rule(self, a, b, kind="product", company=None):
        fields = ("product_a_id", "product_b_id")
        if kind == "category":
            fields = ("categ_a_id", "categ_b_id")
        return self.Affinity.search(
            [
                ("company_id", "=", (company or self.env.company).id),
                ("kind", "=", kind),
                (fields[0], "=", a.id),
                (fields[1], "=", b.id),
            ]
        )

    def _recommended(self, partner, company=None):
        return self.Recommendation.search(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", (company or self.env.company).id),
            ]
        ).product_id


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCrosssellMining(CrosssellCommon):
    def test_support_confidence_lift_of_bought_together_products(self):
        counts = self._refresh()

        self.assertEqual(counts["customers"], 5)
        a, b, c, d = self.product_a, self.product_b, self.product_c, self.product_d
        a_b = self._rule(a, b)
        self.assertEqual(
            (a_b.customer_count, a_b.customers_a, a_b.customers_b, a_b.customers_both),
            (5, 3, 3, 2),
        )
        self.assertAlmostEqual(a_b.support, 0.4)
        self.assertAlmostEqual(a_b.confidence, 2 / 3)
        self.assertAlmostEqual(a_b.lift, (2 / 3) / (3 / 5))
        a_c, c_a = self._rule(a, c), self._rule(c, a)
        self.assertAlmostEqual(a_c.support, 0.2)
        self.assertAlmostEqual(a_c.confidence, 1 / 3)
        self.assertAlmostEqual(a_c.lift, (1 / 3) / (1 / 5))
        self.assertAlmostEqual(c_a.confidence, 1.0)
        self.assertAlmostEqual(c_a.lift, 1 / (3 / 5))
        # B and D sell together less than by chance (lift 5/6): below the
        # default minimum lift of 1.
        self.assertFalse(self._rule(b, d))
        self.assertFalse(self._rule(d, b))
        self.assertEqual(
            self.Affinity.search_count(
                [("company_id", "=", self.env.company.id), ("kind", "=", "product")]
            ),
            4,
        )
        self.assertEqual(counts["product_rules"], 4)

    def test_thresholds_filter_rules_and_categories_are_mined(self):
        self.env.company.write(
            {"crosssell_min_lift": 0.5, "crosssell_min_confidence": 0.4}
        )
        self._refresh()

        b, d = self.product_b, self.product_d
        self.assertFalse(self._rule(b, d), "confidence 1/3 is below 0.4")
        d_b = self._rule(d, b)
        self.assertAlmostEqual(d_b.confidence, 0.5)
        self.assertAlmostEqual(d_b.lift, 0.5 / (3 / 5))
        self.assertFalse(self._rule(self.product_a, self.product_c))
        # Categories: X bought by c1-c4, Y by c3-c5, both by c3 and c4.
        x_y = self._rule(self.categ_x, self.categ_y, kind="category")
        self.assertEqual(
            (x_y.customers_a, x_y.customers_b, x_y.customers_both), (4, 3, 2)
        )
        self.assertAlmostEqual(x_y.support, 0.4)
        self.assertAlmostEqual(x_y.confidence, 0.5)
        self.assertAlmostEqual(x_y.lift, 0.5 / (3 / 5))
        self.assertIn("Cross-sell X", x_y.name)

        # A minimum support of 40 % needs two customers: only A <-> B remain
        # (D has two buyers, but only one buys B too).
        self.env.company.crosssell_min_support = 0.4
        self.env.company.crosssell_min_confidence = 0.1
        self._refresh()
        rules = self.Affinity.search(
            [("company_id", "=", self.env.company.id), ("kind", "=", "product")]
        )
        self.assertEqual(
            {(rule.product_a_id, rule.product_b_id) for rule in rules},
            {(self.product_a, b), (b, self.product_a)},
        )

    def test_orders_outside_the_window_or_unconfirmed_are_not_mined(self):
        late = self._customer("Old Buyer")
        self._basket(late, [self.product_c, self.product_d], 400)
        quote = self._customer("Quotation Only")
        self._basket(quote, [self.product_c, self.product_d], 5, confirm=False)

        counts = self._refresh()

        self.assertEqual(counts["customers"], 5)
        self.assertEqual(self._rule(self.product_a, self.product_b).customer_count, 5)

    def test_thresholds_out_of_range_are_refused(self):
        company = self.env.company
        for field, value in (
            ("crosssell_min_support", 0.0),
            ("crosssell_min_support", 1.5),
            ("crosssell_min_confidence", -0.1),
            ("crosssell_min_lift", 0.0),
            ("crosssell_window_days", 0),
            ("crosssell_max_recommendations", 0),
            ("crosssell_max_recommendations", 51),
        ):
            with self.subTest(field=field, value=value):
                with self.assertRaises(ValidationError), self.cr.savepoint():
                    company.write({field: value})

    def test_query_count_does_not_grow_with_customers(self):
        def queries_for(count, prefix):
            for index in range(count):
                customer = self._customer(f"{prefix} {index}")
                self._basket(customer, [self.product_a, self.product_d], 5 + index)
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            self._refresh()
            return self.env.cr.sql_log_count - before

        queries_for(1, "Warm-up")
        self.assertEqual(queries_for(2, "Small"), queries_for(10, "Large"))


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCrosssellRecommendations(CrosssellCommon):
    def test_recommends_what_similar_customers_buy_with_reason_and_score(self):
        self._refresh()

        self.assertEqual(self._recommended(self.c1), self.product_c)
        self.assertEqual(self._recommended(self.c3), self.product_b)
        self.assertEqual(self._recommended(self.c4), self.product_a)
        self.assertFalse(self._recommended(self.c5), "no rule leads from D")
        recommendation = self.Recommendation.search([("partner_id", "=", self.c1.id)])
        self.assertEqual(recommendation.source_product_id, self.product_a)
        self.assertEqual(
            recommendation.affinity_id, self._rule(self.product_a, self.product_c)
        )
        # Affinity 1/3 (A -> C), no segment (1.0), margin 40 % -> 0.75 + 0.2.
        self.assertAlmostEqual(recommendation.affinity, 1 / 3)
        self.assertAlmostEqual(recommendation.margin_factor, 0.95)
        self.assertAlmostEqual(recommendation.score, 100 / 3 * 0.95, places=4)
        self.assertEqual(recommendation.position, 1)
        self.assertIn(
            "Bought by 33% of customers who buy Product A; "
            "the customer buys Product A monthly.",
            recommendation.reason,
        )
        self.assertIn("Never bought by this customer.", recommendation.reason)
        # Affinity 0.33, neutral segment, margin factor 0.95: no formula.
        self.assertIn(
            "Score 32 of 100: moderate affinity; the product's thin margin lowers it.",
            recommendation.reason,
        )
        self.assertNotIn(" x ", recommendation.reason)
        # c4 reaches A from B only: it bought B once.
        self.assertIn(
            "the customer bought Product B once",
            self.Recommendation.search([("partner_id", "=", self.c4.id)]).reason,
        )

    def test_already_bought_products_are_never_recommended(self):
        self._refresh()

        for customer, bought in (
            (self.c1, self.product_a | self.product_b),
            (self.c2, self.product_a | self.product_b),
            (self.c3, self.product_a | self.product_c),
            (self.c4, self.product_b | self.product_d),
        ):
            with self.subTest(customer=customer.name):
                self.assertFalse(self._recommended(customer) & bought)

    def test_a_product_no_longer_bought_is_recommended_again(self):
        self._basket(self.c1, [self.product_c], 500)  # before the window

        self._refresh()

        recommendation = self.Recommendation.search([("partner_id", "=", self.c1.id)])
        self.assertEqual(recommendation.product_id, self.product_c)
        self.assertEqual(recommendation.last_bought_date, TODAY - timedelta(days=500))
        self.assertIn("stopped buying it", recommendation.reason)

    def test_customers_who_opted_out_get_no_recommendation(self):
        self._refresh()
        self.assertTrue(self._recommended(self.c1))

        self.c1.relationship_no_profiling = True
        self.assertFalse(self._recommended(self.c1), "dropped with the profile")

        counts = self._refresh()
        self.assertFalse(self._recommended(self.c1))
        self.assertEqual(counts["customers"], 4, "its orders are not mined either")
        # The company's own partner is never recommended to.
        self._basket(self.env.company.partner_id, [self.product_a], 3)
        self._refresh()
        self.assertFalse(self._recommended(self.env.company.partner_id))

    def test_dismissed_recommendations_stay_out(self):
        self._refresh()
        recommendation = self.Recommendation.search([("partner_id", "=", self.c1.id)])
        recommendation.with_user(self.user_manager).action_dismiss()

        self._refresh()

        self.assertEqual(recommendation.state, "dismissed")
        self.assertEqual(
            self.Recommendation.search([("partner_id", "=", self.c1.id)]),
            recommendation,
        )
        self.assertFalse(self.c1.crosssell_recommendation_count)

    def test_customer_and_quotation_show_the_suggestions(self):
        self._refresh()

        self.assertEqual(self.c1.crosssell_recommendation_count, 1)
        self.assertEqual(
            self.c1.crosssell_recommendation_ids.product_id, self.product_c
        )
        quotation = self._basket(self.c1, [self.product_a], 0, confirm=False)
        suggestion = quotation.crosssell_recommendation_ids
        self.assertEqual(suggestion.product_id, self.product_c)

        suggestion.with_context(crosssell_order_id=quotation.id).action_add_to_order()

        self.assertIn(self.product_c, quotation.order_line.product_id)
        self.assertFalse(quotation.crosssell_recommendation_ids, "on the order now")

    def test_companies_mine_and_see_their_own_orders(self):
        other = self.setup_other_company(name="Cross-sell Other")["company"]
        shopper = self._customer("Other Shopper")
        self._basket(shopper, [self.product_c, self.product_d], 5, company=other)
        self._basket(self.c5, [self.product_c, self.product_d], 5, company=other)
        self._basket(self.c4, [self.product_c], 6, company=other)

        counts = self._refresh()
        other_counts = self._refresh(other)

        self.assertEqual(counts["customers"], 5)
        self.assertEqual(other_counts["customers"], 3)
        theirs = self._rule(self.product_d, self.product_c, company=other)
        self.assertAlmostEqual(theirs.confidence, 1.0)
        self.assertFalse(self._rule(self.product_d, self.product_c))
        # c4 bought C in the other company only: still recommended A here,
        # and nothing from the other company's rules leaks in.
        self.assertEqual(self._recommended(self.c4), self.product_a)
        self.assertEqual(self._recommended(self.c4, company=other), self.product_d)
        user = self.user_relationship
        visible = self.env(user=user)["relationship.product.affinity"].search([])
        self.assertEqual(visible.company_id, self.env.company)
        visible = self.env(user=user)["relationship.recommendation"].search([])
        self.assertEqual(visible.company_id, self.env.company)

    def test_access_rights(self):
        self._refresh()
        user = self.user_relationship
        self.assertTrue(self.env(user=user)["relationship.recommendation"].search([]))
        self.assertTrue(self.env(user=user)["relationship.product.affinity"].search([]))
        with self.assertRaises(AccessError):
            self.env(user=self.user_plain)["relationship.recommendation"].search([])
        with self.assertRaises(AccessError):
            self.env(user=self.user_plain)["relationship.product.affinity"].search([])
        with self.assertRaises(AccessError):
            self.env(user=user)["relationship.product.affinity"].refresh_crosssell()
        recommendation = self.Recommendation.search([("partner_id", "=", self.c1.id)])
        with self.assertRaises(AccessError):
            recommendation.with_user(user).action_dismiss()
        with self.assertRaises(AccessError):
            recommendation.with_user(user).write({"score": 99.0})

        result = self.env(user=self.user_manager)[
            "relationship.product.affinity"
        ].refresh_crosssell()
        self.assertEqual(result["companies"], [self.env.company.id])
        self.assertEqual(result["rules"], 4)
        self.assertEqual(result["recommendations"], 4)
