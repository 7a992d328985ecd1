from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import TODAY, day
from .dispute_common import DisputeCommon

MAY = date(2026, 5, 1)


def at(text):
    return datetime.fromisoformat(text)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestBrmKpis(DisputeCommon):
    """The business-side KPIs over May 2026, built document by document."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Measurement = cls.env["relationship.kpi.measurement"]
        cls._disputes()
        cls._credit_notes()
        cls._obligation_periods()
        cls._trust()
        cls._deliveries()

    @classmethod
    def _disputes(cls):
        """(opened, first response, closed, SLA state, active): the hours are
        those the dispute computes from its dates."""
        cls.disputes = cls.env["relationship.dispute"]
        for opened, responded, closed, sla_state, active in (
            ("2026-05-02 10:00", "2026-05-02 14:00", "2026-05-04 10:00", "met", True),
            ("2026-05-10 08:00", "2026-05-11 08:00", None, "breached", True),
            ("2026-05-20 08:00", None, None, "ok", True),
            ("2026-04-28 10:00", "2026-05-01 10:00", "2026-05-03 10:00", "met", True),
            ("2026-05-15 08:00", "2026-05-15 09:00", None, "breached", False),
        ):
            dispute = cls._dispute()
            cls.env.flush_all()
            response = (
                (at(responded) - at(opened)).total_seconds() / 3600 if responded else 0
            )
            resolution = (
                (at(closed) - at(opened)).total_seconds() / 3600 if closed else 0
            )
            cls.env.cr.execute(
                """
                UPDATE relationship_dispute
                   SET date_open = %s, date_first_response = %s, date_closed = %s,
                       sla_state = %s, active = %s, response_time_hours = %s,
                       resolution_time_hours = %s
                 WHERE id = %s
                """,
                (
                    opened,
                    responded,
                    closed,
                    sla_state,
                    active,
                    response,
                    resolution,
                    dispute.id,
                ),
            )
            cls.disputes |= dispute
        cls.env.invalidate_all()
        # Four customer invoices in May, one in June.
        cls.invoices = cls.env["account.move"]
        for invoice_date in ("2026-05-03", "2026-05-09", "2026-05-21", "2026-05-31"):
            cls.invoices |= cls._invoice(
                cls.customer, day(invoice_date), day(invoice_date)
            )
        cls._invoice(cls.customer, day("2026-06-01"), day("2026-06-01"))

    @classmethod
    def _credit_notes(cls):
        cls.refunds = cls.env["account.move"]
        for refund_date in ("2026-05-05", "2026-05-25"):
            cls.refunds |= cls._invoice(
                cls.customer, day(refund_date), day(refund_date), move_type="out_refund"
            )
        cls.disputes[0].sudo().credit_note_ids = [Command.link(cls.refunds[0].id)]

    @classmethod
    def _obligation_periods(cls):
        agreement = cls._agreement(cls.customer)
        obligation = cls._obligation(agreement, "on_time_delivery", 90.0)
        # Measured periods as the obligation refresh leaves them (it is tested
        # on its own); written as the system writes them.
        Period = cls.env["relationship.obligation.period"].sudo()
        Period.search([("obligation_id", "=", obligation.id)]).unlink()
        cls.periods = Period.create(
            [
                {
                    "obligation_id": obligation.id,
                    "date_from": day(date_from),
                    "date_to": day(date_to),
                    "target": 90.0,
                    "status": status,
                }
                for date_from, date_to, status in (
                    ("2026-05-01", "2026-05-31", "met"),
                    ("2026-04-01", "2026-05-31", "breached"),
                    ("2026-05-02", "2026-05-15", "at_risk"),
                    ("2026-03-01", "2026-05-20", "no_data"),
                    ("2026-06-01", "2026-06-30", "met"),
                )
            ]
        )

    @classmethod
    def _trust(cls):
        other_vendor = cls._customer("Late Supplies")
        cls.snapshots = (
            cls.env["relationship.trust.snapshot"]
            .sudo()
            .create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": cls.env.company.id,
                        "date": day(date_text),
                        "score": score,
                    }
                    for partner, date_text, score in (
                        (cls.customer, "2026-05-10", 70.0),
                        (cls.customer, "2026-05-31", 80.0),
                        (cls.vendor, "2026-04-01", 50.0),
                        (other_vendor, "2026-06-01", 10.0),
                    )
                ]
            )
        )

    @classmethod
    def _deliveries(cls):
        """S1 on time in full, S2 late with 6 of 10, S3 not delivered past its
        deadline, S4 due in June."""
        cls.orders = cls.env["sale.order"]
        for deadline, done_on, quantity in (
            ("2026-05-10", "2026-05-09", None),
            ("2026-05-12", "2026-05-14", 6.0),
            ("2026-05-20", None, None),
            ("2026-06-20", None, None),
        ):
            order = cls._sale(cls.customer, day("2026-05-01"))
            cls._deliver(
                order.picking_ids,
                day(deadline),
                done_on=done_on and day(done_on),
                quantity=quantity,
                backorder=False,
            )
            cls.orders |= order

    def _measure(self):
        return {
            measurement.kpi: measurement
            for measurement in self.Measurement._measure(self.env.company, "month", MAY)
        }

    def assertMeasured(self, measurement, numerator, denominator, value):
        self.assertEqual(
            (measurement.numerator, measurement.denominator, measurement.value),
            (numerator, denominator, value),
            measurement.kpi,
        )

    def test_dispute_kpis(self):
        kpis = self._measure()
        # D1, D2, D3 opened in May (D5 archived) per 4 invoices of May.
        self.assertMeasured(kpis["dispute_rate"], 3, 4, 75.0)
        self.assertEqual(kpis["dispute_rate"].numerator_ids, self.disputes[:3].ids)
        self.assertEqual(kpis["dispute_rate"].denominator_ids, self.invoices.ids)
        # First answered in May: D1 4 h, D2 24 h, D4 72 h.
        self.assertMeasured(kpis["dispute_response_hours"], 100, 3, 33.3333)
        # Closed in May: D1 48 h, D4 120 h.
        self.assertMeasured(kpis["dispute_resolution_hours"], 168, 2, 84.0)
        # Opened in May with a decided SLA: D1 met, D2 breached.
        self.assertMeasured(kpis["dispute_sla_compliance"], 1, 2, 50.0)
        self.assertMeasured(kpis["dispute_credit_notes"], 1, 2, 1.0)
        self.assertEqual(
            kpis["dispute_credit_notes"].numerator_ids, self.refunds[0].ids
        )

    def test_obligation_and_trust_kpis(self):
        kpis = self._measure()
        # Periods ending in May and judged: met, breached, at risk.
        self.assertMeasured(kpis["obligation_compliance"], 1, 3, 33.3333)
        self.assertEqual(
            kpis["obligation_compliance"].numerator_ids, self.periods[:1].ids
        )
        # Last snapshots up to 31 May: customer 80, vendor 50.
        self.assertMeasured(kpis["supplier_trust"], 130, 2, 65.0)
        self.assertEqual(
            kpis["supplier_trust"].denominator_ids, self.snapshots[1:3].ids
        )

    def test_delivery_kpis(self):
        kpis = self._measure()
        pickings = self.orders.picking_ids.filtered(lambda p: p.state != "cancel")
        self.assertMeasured(kpis["on_time_delivery"], 1, 3, 33.3333)
        self.assertEqual(
            kpis["on_time_delivery"].numerator_ids, self.orders[0].picking_ids.ids
        )
        self.assertEqual(
            kpis["on_time_delivery"].denominator_ids,
            sorted((pickings & self.orders[:3].picking_ids).ids),
        )
        # 10 + 6 + 0 delivered of 30 ordered.
        self.assertMeasured(kpis["in_full_delivery"], 16, 30, 53.3333)
        self.assertEqual(kpis["in_full_delivery"].numerator_ids, self.orders[:1].ids)
        self.assertEqual(kpis["in_full_delivery"].denominator_ids, self.orders[:3].ids)

    def test_off_target_dispute_rate_alerts_once(self):
        self.env["relationship.kpi.target"].create(
            {
                "kpi": "dispute_rate",
                "comparison": "at_most",
                "value": 50.0,
                "user_id": self.user_manager.id,
            }
        )
        rate = self._measure()["dispute_rate"]
        self.assertEqual(rate.status, "off_target")
        self.Measurement._measure(self.env.company, "month", MAY, force=True)
        events = self.env["relationship.event"].search(
            [("event_type", "=", "kpi_off_target"), ("res_id", "=", rate.id)]
        )
        self.assertEqual(len(events), 1)
        self.assertEqual(len(rate.activity_ids), 1)
