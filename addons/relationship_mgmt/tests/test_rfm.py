from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from ..engine import engagement as engine
from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestRfmSegments(RelationshipCommon):
    def _ladder(self, count=10):
        """Customer ``i`` buys ``i + 1`` times, last ``100 - 10 i`` days ago,
        for ``1000 (i + 1)`` invoiced: each later customer is more recent,
        more frequent and bigger than the one before."""
        customers = []
        for index in range(count):
            customer = self._customer(f"Ladder {index}")
            for order in range(index + 1):
                self._order(customer, 100 - 10 * index + 7 * order, 100.0)
            self._invoice(customer, 5, 1000.0 * (index + 1))
            customers.append(customer)
        return customers

    def test_segments_match_hand_computed_quintiles(self):
        customers = self._ladder()
        self.Engagement._recompute_company(self.env.company, full=True)

        # Ten distinct values: two customers per fifth, in ladder order.
        expected_segments = {
            1: "lost",
            2: "hibernating",
            3: "needs_attention",
            4: "champions",
            5: "champions",
        }
        for index, customer in enumerate(customers):
            engagement = self._engagement(customer)
            fifth = index // 2 + 1
            self.assertEqual(
                (
                    engagement.rfm_recency,
                    engagement.rfm_frequency,
                    engagement.rfm_monetary,
                ),
                (fifth, fifth, fifth),
                customer.name,
            )
            self.assertEqual(
                engagement.rfm_segment, expected_segments[fifth], customer.name
            )

        # The partner exposes the segment and is searchable by it.
        Partner = self.env["res.partner"]
        self.assertEqual(customers[9].engagement_rfm_segment, "champions")
        champions = Partner.search([("engagement_rfm_segment", "=", "champions")])
        self.assertEqual(set(champions.ids), {c.id for c in customers[6:]})

    def _sql_value(self, expression):
        self.env.cr.execute(SQL("SELECT %s", expression))
        return self.env.cr.fetchone()[0]

    def _quintile(self, component):
        return engine.quintile(SQL("%s::numeric", component))

    def test_segment_rules(self):
        def segment(recency, frequency, monetary):
            # As the engine does: a missing component is the lowest quintile.
            quintiles = [
                SQL("COALESCE(%s, 1)", self._quintile(value))
                for value in (recency, frequency, monetary)
            ]
            return self._sql_value(engine.rfm_segment(*quintiles))

        cases = {
            (95.0, 90.0, 85.0): "champions",
            (95.0, 90.0, 10.0): "loyal",
            (50.0, 85.0, 10.0): "loyal",
            (85.0, 30.0, 50.0): "potential_loyalist",
            (99.0, 5.0, 5.0): "recent",
            (50.0, 50.0, 90.0): "needs_attention",
            (10.0, 95.0, 95.0): "cannot_lose",
            (30.0, 50.0, 20.0): "at_risk",
            (30.0, 10.0, 90.0): "hibernating",
            (5.0, 30.0, 90.0): "lost",
            # Without a purchase date, recency ranks last.
            (None, 95.0, 95.0): "cannot_lose",
        }
        for parts, expected in cases.items():
            self.assertEqual(segment(*parts), expected, parts)
        self.assertEqual(self._sql_value(self._quintile(100.0)), 5)
        self.assertEqual(self._sql_value(self._quintile(0.0)), 1)
        self.assertEqual(self._sql_value(self._quintile(39.9)), 2)
        self.assertEqual(self._sql_value(self._quintile(40.0)), 3)
        self.assertIsNone(self._sql_value(self._quintile(None)))

    def test_customer_without_history_has_no_segment(self):
        quote_only = self._customer("Quotation Only")
        self._order(quote_only, 3, 500.0, confirm=False)
        buyer = self._customer("Buyer")
        self._order(buyer, 3, 500.0)
        self.Engagement._recompute_company(self.env.company, full=True)

        self.assertEqual(self._engagement(quote_only).tier, "new")
        self.assertFalse(self._engagement(quote_only).rfm_segment)
        self.assertTrue(self._engagement(buyer).rfm_segment)

    def test_segment_movement_is_kept_with_the_snapshots(self):
        customers = self._ladder(6)
        lapsing = customers[5]
        with freeze_time(TODAY - timedelta(days=1)):
            self.Engagement._recompute_company(self.env.company, full=True)
        before = self._engagement(lapsing).rfm_segment
        self.assertEqual(before, "champions")
        # Everybody else orders today: the former best customer is now the
        # least recent one.
        for customer in customers[:5]:
            self._order(customer, 0, 100.0)

        self.Engagement._recompute_company(self.env.company, full=True)

        engagement = self._engagement(lapsing)
        self.assertEqual(engagement.rfm_segment_previous, "champions")
        self.assertNotEqual(engagement.rfm_segment, "champions")
        self.assertEqual(engagement.rfm_recency, 1)
        snapshots = self.env["relationship.engagement.snapshot"].search(
            [("partner_id", "=", lapsing.id)], order="date"
        )
        self.assertEqual(
            snapshots.mapped("rfm_segment"), ["champions", engagement.rfm_segment]
        )
        # The incremental path keeps the same previous segment on a second
        # run the same day.
        self.Engagement._recompute_company(self.env.company, partner_ids=[lapsing.id])
        engagement.invalidate_recordset()
        self.assertEqual(engagement.rfm_segment_previous, "champions")

    def test_segment_views_and_grouping_for_a_relationship_user(self):
        self._ladder(4)
        self.Engagement._recompute_company(self.env.company, full=True)
        env = self.env(user=self.user_relationship)
        Engagement = env["relationship.engagement"]
        action = env.ref("relationship_mgmt.relationship_engagement_action_segments")
        views = Engagement.get_views(
            [(view.view_id.id, view.view_mode) for view in action.sudo().view_ids]
        )
        self.assertEqual(set(views["views"]), {"pivot", "graph"})
        groups = Engagement.read_group(
            [("rfm_segment", "!=", False)], ["revenue:sum"], ["rfm_segment"]
        )
        self.assertEqual(sum(group["rfm_segment_count"] for group in groups), 4)
        self.assertEqual(sum(group["revenue"] for group in groups), 10000.0)
