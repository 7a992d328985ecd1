from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import SQL

from ..engine import obligations as engine
from .common import TODAY, BrmCommon, day

MAY = day("2026-05-01")
JUNE = day("2026-06-01")
# A write date no refresh writes: periods stamped with it were not written.
UNWRITTEN = fields.Datetime.to_datetime("2000-01-01 00:00:00")


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestObligations(BrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sales = cls._agreement(cls.customer, "sales")
        cls.purchase = cls._agreement(cls.vendor, "purchase")

    def _ship(self, on, deadline, done_on=None, quantity=None, lines=((10.0, 10.0),)):
        order = self._sale(self.customer, on, lines=lines)
        self._deliver(order.picking_ids, deadline, done_on, quantity)
        return order

    def _refs(self, period, failing=False):
        return (period.failing_refs if failing else period.document_refs) or {}

    # ------------------------------------------------------------------
    # Delivery
    # ------------------------------------------------------------------

    def test_on_time_delivery_of_our_deliveries(self):
        obligation = self._obligation(self.sales, "on_time_delivery", 95.0)
        on_time = self._ship(MAY, day("2026-05-10"), day("2026-05-09"))
        late = self._ship(MAY, day("2026-05-12"), day("2026-05-15"))
        overdue = self._ship(MAY, day("2026-05-20"))
        self._ship(JUNE, day("2026-06-20"))
        result = self._refresh(self.sales)
        self.assertEqual(result["periods"], 6)
        periods = self._periods(obligation)
        may = periods[MAY]
        self.assertEqual(may.measured_count, 3)
        self.assertAlmostEqual(may.actual, 33.33)
        self.assertEqual(may.status, "breached")
        self.assertEqual(
            self._refs(may)["stock.picking"],
            sorted((on_time + late + overdue).picking_ids.ids),
        )
        self.assertEqual(
            self._refs(may, failing=True)["stock.picking"],
            sorted((late + overdue).picking_ids.ids),
        )
        # June's delivery is not due yet: nothing to judge.
        self.assertEqual(periods[JUNE].status, "no_data")
        self.assertTrue(periods[JUNE].is_open)
        self.assertEqual(periods[day("2026-01-01")].status, "no_data")
        self.assertEqual(obligation.status, "no_data")
        action = may.action_view_documents()
        self.assertEqual(action["res_model"], "stock.picking")
        self.assertEqual(
            self.env["stock.picking"].search(action["domain"]),
            (on_time + late + overdue).picking_ids,
        )

    def test_on_time_delivery_of_their_receipts(self):
        obligation = self._obligation(self.purchase, "on_time_delivery", 90.0)
        for deadline, done_on in (
            ("2026-05-05", "2026-05-04"),
            ("2026-05-06", "2026-05-08"),
        ):
            order = self._purchase(self.vendor, MAY)
            self._deliver(order.picking_ids, day(deadline), day(done_on))
        self._refresh(self.purchase)
        may = self._periods(obligation)[MAY]
        self.assertEqual((may.measured_count, may.actual), (2, 50.0))
        self.assertEqual(may.status, "breached")

    def test_in_full_delivery_counts_quantities_delivered(self):
        obligation = self._obligation(self.sales, "in_full_delivery", 95.0)
        partial = self._ship(MAY, day("2026-05-10"), day("2026-05-10"), quantity=6.0)
        full = self._ship(MAY, day("2026-05-12"), day("2026-05-12"))
        self.assertEqual(partial.order_line.qty_delivered, 6.0)
        self.assertEqual(len(partial.picking_ids), 2)  # the backorder
        self._refresh(self.sales)
        may = self._periods(obligation)[MAY]
        self.assertEqual(may.measured_count, 2)
        self.assertEqual(may.actual, 80.0)
        self.assertEqual(may.status, "breached")
        self.assertEqual(
            self._refs(may, failing=True)["stock.picking"],
            sorted(partial.picking_ids.ids),
        )
        self.assertIn(full.picking_ids.id, self._refs(may)["stock.picking"])

    def test_in_full_delivery_of_receipts_received_in_full(self):
        obligation = self._obligation(self.purchase, "in_full_delivery", 95.0)
        order = self._purchase(self.vendor, MAY)
        self._deliver(order.picking_ids, day("2026-05-05"), day("2026-05-05"))
        self._refresh(self.purchase)
        may = self._periods(obligation)[MAY]
        self.assertEqual((may.actual, may.status), (100.0, "met"))

    # ------------------------------------------------------------------
    # Payment
    # ------------------------------------------------------------------

    def test_payment_punctuality_of_the_customer(self):
        obligation = self._obligation(self.sales, "payment_punctuality", 90.0)
        on_time = self._invoice(self.customer, MAY, day("2026-05-05"))
        self._pay_on(on_time, day("2026-05-03"))
        late = self._invoice(self.customer, MAY, day("2026-05-10"))
        self._pay_on(late, day("2026-05-20"))
        unpaid = self._invoice(self.customer, MAY, day("2026-05-25"))
        self._invoice(self.customer, JUNE, day("2026-06-30"))
        self.assertEqual((on_time + late + unpaid).agreement_id, self.sales)
        self._refresh(self.sales)
        periods = self._periods(obligation)
        may = periods[MAY]
        self.assertEqual(may.measured_count, 3)
        self.assertAlmostEqual(may.actual, 33.33)
        self.assertEqual(may.status, "breached")
        self.assertEqual(
            self._refs(may, failing=True)["account.move"], sorted((late + unpaid).ids)
        )
        self.assertEqual(periods[JUNE].status, "no_data")

    def test_payment_punctuality_of_our_bills(self):
        obligation = self._obligation(
            self.purchase, "payment_punctuality", 90.0, period="quarter"
        )
        bill = self._invoice(
            self.vendor, MAY, day("2026-05-15"), move_type="in_invoice"
        )
        self.assertEqual(bill.agreement_id, self.purchase)
        self._pay_on(bill, day("2026-05-15"))
        self._refresh(self.purchase)
        quarter = self._periods(obligation)[day("2026-04-01")]
        self.assertEqual(quarter.date_to, day("2026-06-30"))
        self.assertEqual((quarter.actual, quarter.status), (100.0, "met"))

    # ------------------------------------------------------------------
    # Volume
    # ------------------------------------------------------------------

    def test_minimum_volume_breached_then_at_risk(self):
        obligation = self._obligation(self.sales, "min_volume", 500.0)
        self._sale(self.customer, day("2026-05-04"), lines=((3.0, 100.0),))
        self._sale(self.customer, day("2026-06-02"), lines=((2.0, 100.0),))
        self._refresh(self.sales)
        periods = self._periods(obligation)
        self.assertEqual(
            (periods[MAY].actual, periods[MAY].status), (300.0, "breached")
        )
        self.assertEqual(
            (periods[JUNE].actual, periods[JUNE].status), (200.0, "at_risk")
        )
        self.assertEqual(periods[day("2026-04-01")].status, "breached")
        self.assertEqual(periods[MAY].measured_count, 1)
        self.assertEqual((obligation.status, obligation.actual), ("at_risk", 200.0))

    def test_minimum_volume_on_invoiced_amounts_net_of_refunds(self):
        obligation = self._obligation(
            self.sales, "min_volume", 500.0, volume_basis="invoiced"
        )
        self._invoice(self.customer, MAY, MAY, lines=((7.0, 100.0),))
        self._invoice(
            self.customer, MAY, MAY, lines=((1.0, 100.0),), move_type="out_refund"
        )
        self._refresh(self.sales)
        may = self._periods(obligation)[MAY]
        self.assertEqual((may.actual, may.status), (600.0, "met"))
        self.assertEqual(len(self._refs(may)["account.move"]), 2)

    def test_maximum_volume(self):
        obligation = self._obligation(self.purchase, "max_volume", 1000.0)
        self._purchase(self.vendor, day("2026-04-03"), lines=((2.0, 50.0),))
        self._purchase(self.vendor, day("2026-05-03"), lines=((24.0, 50.0),))
        self._purchase(self.vendor, day("2026-06-03"), lines=((19.0, 50.0),))
        self._refresh(self.purchase)
        periods = self._periods(obligation)
        self.assertEqual(periods[day("2026-04-01")].status, "met")
        self.assertEqual(
            (periods[MAY].actual, periods[MAY].status), (1200.0, "breached")
        )
        self.assertEqual(
            (periods[JUNE].actual, periods[JUNE].status), (950.0, "at_risk")
        )
        self.assertEqual(
            self._refs(periods[MAY])["purchase.order"],
            self.env["purchase.order"]
            .search(
                [
                    ("date_approve", ">=", "2026-05-01"),
                    ("date_approve", "<", "2026-06-01"),
                ]
            )
            .ids,
        )

    # ------------------------------------------------------------------
    # Prices and disputes
    # ------------------------------------------------------------------

    def test_price_compliance_against_agreed_prices(self):
        self.sales.price_ids = [
            Command.create({"product_id": self.goods.id, "price_unit": 100.0})
        ]
        strict = self._obligation(self.sales, "price_compliance", 100.0)
        tolerant = self._obligation(
            self.sales, "price_compliance", 100.0, price_tolerance=10.0
        )
        self._invoice(self.customer, MAY, MAY, lines=((1.0, 100.0),))
        overpriced = self._invoice(self.customer, MAY, MAY, lines=((1.0, 110.0),))
        self._refresh(self.sales)
        may = self._periods(strict)[MAY]
        self.assertEqual((may.measured_count, may.actual), (2, 50.0))
        self.assertEqual(may.status, "breached")
        self.assertEqual(self._refs(may, failing=True)["account.move"], overpriced.ids)
        tolerant_may = self._periods(tolerant)[MAY]
        self.assertEqual((tolerant_may.actual, tolerant_may.status), (100.0, "met"))

    def test_disputes_measured_as_none_without_disputes(self):
        # Counted from the disputes (test_dispute_effects): none, all met.
        obligation = self._obligation(self.sales, "max_disputes", 2.0)
        self._refresh(self.sales)
        periods = self.Period.search([("obligation_id", "=", obligation.id)])
        self.assertEqual(set(periods.mapped("status")), {"met"})
        self.assertEqual(set(periods.mapped("actual")), {0.0})

    # ------------------------------------------------------------------
    # Refresh
    # ------------------------------------------------------------------

    def test_refresh_is_idempotent_and_follows_period_changes(self):
        obligation = self._obligation(self.sales, "min_volume", 500.0)
        self._refresh(self.sales)
        self._refresh(self.sales)
        self.assertEqual(obligation.period_count, 6)
        obligation.period = "quarter"
        self._refresh(self.sales)
        self.assertEqual(
            sorted(self._periods(obligation)), [day("2026-01-01"), day("2026-04-01")]
        )

    def _stamp_periods(self, obligation):
        """Date the periods of ``obligation`` back to UNWRITTEN, to see which
        ones the next refresh writes."""
        self.env.cr.execute(
            SQL(
                "UPDATE relationship_obligation_period SET write_date = %s "
                "WHERE obligation_id = %s",
                UNWRITTEN,
                obligation.id,
            )
        )
        self.Period.invalidate_model(["write_date"])

    def _written(self, obligation):
        return {
            date_from
            for date_from, period in self._periods(obligation).items()
            if period.write_date != UNWRITTEN
        }

    def test_refresh_writes_only_the_periods_that_changed(self):
        obligation = self._obligation(self.sales, "min_volume", 500.0)
        self._sale(self.customer, MAY, lines=((3.0, 100.0),))
        self._refresh(self.sales)
        first = self._periods(obligation)
        self.assertEqual(len(first), 6)
        self._stamp_periods(obligation)
        # Nothing changed: no period row is written, none replaced.
        self._refresh(self.sales)
        self.assertEqual(self._written(obligation), set())
        self.assertEqual(
            {key: period.id for key, period in self._periods(obligation).items()},
            {key: period.id for key, period in first.items()},
        )
        self.assertEqual(obligation.date_measured, fields.Datetime.now())
        # A new order in May changes May's period, and only that one.
        order = self._sale(self.customer, day("2026-05-20"), lines=((4.0, 100.0),))
        self._refresh(self.sales)
        self.assertEqual(self._written(obligation), {MAY})
        may = self._periods(obligation)[MAY]
        self.assertEqual((may.actual, may.status), (700.0, "met"))
        self.assertEqual(may.measured_count, 2)
        self.assertIn(order.id, may.document_refs["sale.order"])
        self.assertEqual(may.id, first[MAY].id)

    def test_refresh_deletes_only_the_periods_that_no_longer_exist(self):
        obligation = self._obligation(self.sales, "min_volume", 500.0)
        self._refresh(self.sales)
        months = self._periods(obligation)
        obligation.period = "quarter"
        self._refresh(self.sales)
        quarters = self._periods(obligation)
        january, april = day("2026-01-01"), day("2026-04-01")
        self.assertEqual(sorted(quarters), [january, april])
        # The quarters starting with a month are that month's row, updated.
        self.assertEqual(quarters[january].id, months[january].id)
        self.assertEqual(quarters[january].date_to, day("2026-03-31"))
        self.assertEqual(quarters[april].date_to, day("2026-06-30"))
        self.assertEqual(quarters[april].is_open, True)
        gone = self.Period.concat(
            *(period for key, period in months.items() if key not in quarters)
        )
        self.assertEqual(len(gone), 4)
        self.assertFalse(gone.exists())
        # Another obligation's change leaves these periods alone.
        other = self._obligation(self.sales, "max_volume", 1e6)
        self._refresh(self.sales)
        self._stamp_periods(obligation)
        other.period = "year"
        self._refresh(self.sales)
        self.assertEqual(sorted(self._periods(other)), [january])
        self.assertEqual(sorted(self._periods(obligation)), [january, april])
        self.assertEqual(self._written(obligation), set())

    def test_obligations_of_closed_agreements_are_not_measured(self):
        draft = self._agreement(self.customer, "framework", activate=False)
        obligation = self._obligation(draft, "min_volume", 100.0)
        self.assertEqual(self._refresh(draft)["periods"], 0)
        self.assertFalse(obligation.period_ids)

    def test_period_bounds_follow_calendar_and_agreement(self):
        bounds = engine.period_bounds(
            "month", day("2026-01-15"), day("2026-03-20"), TODAY
        )
        self.assertEqual(
            bounds,
            [
                (day("2026-01-15"), day("2026-01-31")),
                (day("2026-02-01"), day("2026-02-28")),
                (day("2026-03-01"), day("2026-03-20")),
            ],
        )
        self.assertEqual(
            engine.period_bounds(
                "quarter", day("2026-02-10"), day("2027-02-09"), TODAY
            ),
            [
                (day("2026-02-10"), day("2026-03-31")),
                (day("2026-04-01"), day("2026-06-30")),
            ],
        )
        self.assertEqual(
            engine.period_bounds(
                "agreement", day("2026-02-10"), day("2027-02-09"), TODAY
            ),
            [(day("2026-02-10"), day("2027-02-09"))],
        )
        self.assertEqual(
            engine.period_bounds("year", day("2026-07-01"), None, TODAY), []
        )

    def test_period_status_rules(self):
        status = engine.period_status
        self.assertEqual(status("on_time_delivery", 95, 96, False, 10), "met")
        self.assertEqual(status("on_time_delivery", 95, 90, True, 10), "at_risk")
        self.assertEqual(status("on_time_delivery", 95, 90, False, 10), "breached")
        self.assertEqual(status("on_time_delivery", 95, None, False, 10), "no_data")
        self.assertEqual(status("max_volume", 1000, 1001, True, 10), "breached")
        self.assertEqual(status("max_volume", 1000, 950, True, 10), "at_risk")
        self.assertEqual(status("max_volume", 1000, 950, False, 10), "met")
        self.assertEqual(status("max_disputes", 0, 0, True, 10), "met")
        self.assertEqual(status("max_disputes", 1, 1, True, 10), "at_risk")
        self.assertEqual(status("max_disputes", 2, 0, True, 10), "met")
