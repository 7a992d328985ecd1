import logging
import time
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

from ..demo.generator import DemoDataGenerator
from ..engine import signals

_logger = logging.getLogger(__name__)


class RelationshipDemo(models.AbstractModel):
    """Demo data helpers, called from the ``<function>`` tags of the demo
    files only (a database without demo data never runs them)."""

    _name = "relationship.demo"
    _description = "Relationship demo data"

    @api.model
    def _generate_demo_history(self):
        """A year and a half of history for a few hundred demo customers, and
        invoices for the confirmed orders of the sales demo data."""
        start = time.perf_counter()
        self._invoice_demo_orders()
        counts = DemoDataGenerator(self.env).run()
        counts["survey_user_input"] = self._answer_demo_survey()
        counts["relationship_program_enrolment"] = self._enrol_demo_history()
        _logger.info(
            "Demo history generated in %.1f s: %s",
            time.perf_counter() - start,
            ", ".join(f"{table} {count}" for table, count in counts.items()),
        )
        return counts

    @api.model
    def _invoice_demo_orders(self):
        """Invoice and pay the confirmed orders of Odoo's sales demo data that
        have something to invoice: its own demo invoices are refunded in full,
        which would leave its customers with orders and no revenue."""
        confirmed = self.env["sale.order"].search([("state", "=", "sale")])
        # Services delivered by hand: record them as delivered in full.
        for line in confirmed.order_line:
            if (
                line.qty_delivered_method == "manual"
                and not line.display_type
                and line.qty_delivered < line.product_uom_qty
            ):
                line.qty_delivered = line.product_uom_qty
        orders = confirmed.filtered(lambda order: order.invoice_status == "to invoice")
        if not orders:
            return
        invoices = orders._create_invoices()
        for invoice in invoices:
            order = invoice.line_ids.sale_line_ids.order_id[:1]
            invoice.invoice_date = min(
                order.date_order.date(), fields.Date.context_today(self)
            )
        invoices.action_post()
        # Most are paid already; the newest one of each customer stays open.
        paid = invoices.filtered(
            lambda invoice: (
                invoice
                != invoices.filtered(
                    lambda other: other.partner_id == invoice.partner_id
                ).sorted("invoice_date")[-1:]
            )
        )
        if paid:
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=paid.ids
            ).create({"group_payment": False})._create_payments()

    @api.model
    def _answer_demo_survey(self, count=40):
        """Answers of the demo CSAT survey by the demo customers who bought
        last, recorded as satisfaction responses as the survey cron does."""
        question = self.env.ref(
            "relationship_mgmt.relationship_program_demo_survey_csat_question",
            raise_if_not_found=False,
        )
        comment = self.env.ref(
            "relationship_mgmt.relationship_program_demo_survey_csat_comment",
            raise_if_not_found=False,
        )
        if not question or not comment:
            return 0
        customers = self.env["res.partner"].search(
            [("ref", "=like", "DEMO-REL-C%"), ("sale_order_ids", "!=", False)],
            limit=count,
            order="id desc",
        )
        remarks = {
            1: self.env._("Nobody came on the agreed day."),
            2: self.env._("The installation took two visits."),
            5: self.env._("Fast, clean and friendly team."),
        }
        answers = self.env["survey.user_input"].create(
            [
                {
                    "survey_id": question.survey_id.id,
                    "partner_id": customer.id,
                    "state": "done",
                    "user_input_line_ids": [
                        Command.create(
                            {
                                "question_id": question.id,
                                "answer_type": "scale",
                                "value_scale": score,
                            }
                        ),
                        *(
                            [
                                Command.create(
                                    {
                                        "question_id": comment.id,
                                        "answer_type": "text_box",
                                        "value_text_box": remarks[score],
                                    }
                                )
                            ]
                            if score in remarks
                            else []
                        ),
                    ],
                }
                for index, customer in enumerate(customers)
                for score in [(5, 4, 5, 3, 4, 2, 5, 4, 1, 5)[index % 10]]
            ]
        )
        self.env["relationship.satisfaction"]._record_survey_answers(answers)
        return len(answers)

    @api.model
    def _enrol_demo_history(self):
        """Enrol the demo customers in the demo programs as their orders
        would have: welcomed after their first order, reminded of the
        renewal of their last one (dated by ``_settle_demo_enrolments``)."""
        orders = self.env["sale.order"].search(
            [("partner_id.ref", "=like", "DEMO-REL-C%"), ("state", "=", "sale")],
            order="date_order, id",
        )
        first, last = {}, {}
        for order in orders:
            first.setdefault(order.partner_id, order)
            last[order.partner_id] = order
        Program = self.env["relationship.program"].with_context(
            mail_create_nolog=True, tracking_disable=True
        )
        enrolments = Program._enrol_documents(
            "first_order", self.env["sale.order"].union(*first.values())
        ) | Program._enrol_documents(
            "order_confirmed", self.env["sale.order"].union(*last.values())
        )
        return len(enrolments)

    @api.model
    def _settle_demo_enrolments(self):
        """Give the demo enrolments the history a live database would have:
        one per customer and program (that of the latest trigger document:
        the demo orders of a customer follow one another within the install),
        started on the day of their trigger document rather than at install,
        and the steps due since then done. Past steps are not run: no email
        leaves for orders of months ago."""
        Enrolment = self.env["relationship.program.enrolment"]
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT e.id, e.program_id, e.partner_id,
                       COALESCE(sp.date_done, am.invoice_date::timestamp,
                                so.date_order) AS date_trigger
                  FROM relationship_program_enrolment e
                  LEFT JOIN stock_picking sp ON sp.id = e.picking_id
                  LEFT JOIN account_move am ON am.id = e.invoice_id
                  LEFT JOIN sale_order so ON so.id = e.sale_order_id
                 WHERE e.trigger_ref != 'manual'
                 ORDER BY e.program_id, e.partner_id, date_trigger DESC, e.id DESC
                """
            )
        )
        latest, dropped = {}, []
        for enrolment_id, program_id, partner_id, date_trigger in cr.fetchall():
            if (program_id, partner_id) in latest:
                dropped.append(enrolment_id)
            else:
                latest[program_id, partner_id] = (enrolment_id, date_trigger)
        Enrolment.browse(dropped).unlink()
        dated = [(eid, date) for eid, date in latest.values() if date]
        kept = [enrolment_id for enrolment_id, __ in dated]
        dates = [date_trigger for __, date_trigger in dated]
        now = fields.Datetime.now()
        cr.execute(
            SQL(
                """
                WITH shifted AS (
                    SELECT e.id, e.date_start - t.date_trigger AS shift
                      FROM relationship_program_enrolment e
                      JOIN unnest(%(ids)s::int[], %(dates)s::timestamp[])
                           AS t(id, date_trigger) ON t.id = e.id
                     WHERE t.date_trigger < e.date_start
                ), lines AS (
                    UPDATE relationship_program_enrolment_line l
                       SET date_due = l.date_due - shifted.shift
                      FROM shifted
                     WHERE l.enrolment_id = shifted.id
                )
                UPDATE relationship_program_enrolment e
                   SET date_start = e.date_start - shifted.shift
                  FROM shifted
                 WHERE shifted.id = e.id;
                UPDATE relationship_program_enrolment_line
                   SET state = 'done', date_done = date_due
                 WHERE enrolment_id = ANY(%(ids)s::int[])
                   AND state = 'scheduled' AND date_due <= %(now)s
                """,
                ids=signals.array_literal(kept),
                dates=signals.array_literal(f'"{date}"' for date in dates),
                now=now,
            )
        )
        self.env.invalidate_all()
        enrolments = Enrolment.browse(kept)
        for fname in ("date_next", "progress"):
            self.env.add_to_compute(Enrolment._fields[fname], enrolments)
        enrolments._update_state()
        self.env.flush_all()
        return enrolments

    @api.model
    def _run_demo_batches(self):
        """One run of every nightly batch, so that a fresh demo database shows
        scores, analytics, recommendations and enrolments at once rather than
        the next morning. Extended by addons that add batches; the engagement
        runs after them so that it sees what they compute. Only the main
        company, where the demo history is: the other demo company has no
        customer to analyse."""
        start = time.perf_counter()
        main = self.env.ref("base.main_company")
        demo = self.with_company(main).with_context(allowed_company_ids=main.ids)
        demo._settle_demo_enrolments()
        demo._run_demo_batches_before_engagement()
        Engagement = demo.env["relationship.engagement"]
        first_run = not Engagement.search_count([("date_snapshot", "!=", False)])
        Engagement.recompute_engagement(None)
        if first_run:
            # A second run over scores aged by a month gives trends and
            # segment movements to read.
            demo._age_demo_scores()
            Engagement.recompute_engagement(None)
        demo.env["relationship.analytics"].refresh_analytics()
        demo.env["relationship.product.affinity"].refresh_crosssell()
        demo._enrol_demo_segment()
        # KPIs last: they count scores, enrolments, disputes and obligations.
        demo.env["relationship.kpi.measurement"]._cron_measure()
        _logger.info("Demo batches run in %.1f s", time.perf_counter() - start)

    @api.model
    def _age_demo_scores(self, days=30):
        """Turn today's scores and snapshots into those of ``days`` ago, as
        they would have been: customers overdue now scored better then
        (their RFM segment one step up), the others within a few points;
        customers without an order before then had no score."""
        today = fields.Date.context_today(self)
        then = today - timedelta(days=days)
        cr = self.env.cr
        self.env.flush_all()
        cr.execute(
            SQL(
                """
                DELETE FROM relationship_engagement e
                 WHERE NOT EXISTS (
                       SELECT 1 FROM sale_order so
                         JOIN res_partner p ON p.id = so.partner_id
                        WHERE p.commercial_partner_id = e.partner_id
                          AND so.state = 'sale' AND so.date_order < %(then)s);
                WITH aged AS (
                    SELECT e.id, e.partner_id, e.company_id,
                           CASE WHEN e.days_since_last_order BETWEEN 60 AND 240
                                THEN 18
                                WHEN e.days_since_last_order > 240 THEN 7
                                ELSE mod(e.partner_id, 13) - 6
                           END AS delta,
                           CASE WHEN e.days_since_last_order >= 60
                                THEN CASE e.rfm_segment
                                     WHEN 'at_risk' THEN 'loyal'
                                     WHEN 'cannot_lose' THEN 'champions'
                                     WHEN 'hibernating' THEN 'needs_attention'
                                     WHEN 'lost' THEN 'at_risk'
                                     ELSE e.rfm_segment END
                                ELSE e.rfm_segment
                           END AS segment
                      FROM relationship_engagement e
                     WHERE e.date_snapshot = %(today)s
                ), moved AS (
                    UPDATE relationship_engagement_snapshot s
                       SET date = %(then)s,
                           score = LEAST(100, GREATEST(0, s.score + aged.delta)),
                           rfm_segment = aged.segment
                      FROM aged
                     WHERE s.partner_id = aged.partner_id
                       AND s.company_id = aged.company_id
                       AND s.date = %(today)s
                )
                UPDATE relationship_engagement e
                   SET date_snapshot = %(then)s,
                       score = LEAST(100, GREATEST(0, e.score + aged.delta)),
                       rfm_segment = aged.segment
                  FROM aged
                 WHERE aged.id = e.id
                """,
                today=today,
                then=then,
            )
        )
        self.env.invalidate_all()

    @api.model
    def _run_demo_batches_before_engagement(self):
        """Batches whose results the engagement reads (none in this addon)."""

    @api.model
    def _enrol_demo_segment(self):
        """Enrol the customers at risk in the demo win-back program, as a
        manager does with "Enrol in a Program"."""
        program = self.env.ref(
            "relationship_mgmt.relationship_program_demo_winback",
            raise_if_not_found=False,
        )
        if not program or program.enrolment_ids:
            return
        engagements = self.env["relationship.engagement"].search(
            [("tier", "=", "at_risk"), ("company_id", "=", program.company_id.id)],
            limit=25,
        )
        if not engagements:
            return
        program.enrol_partners(engagements.partner_id.ids)
        # Run the steps due today, as the step cron would within minutes.
        self.env["relationship.program.enrolment.line"].search(
            [
                ("program_id", "=", program.id),
                ("state", "=", "scheduled"),
                ("date_due", "<=", fields.Datetime.now()),
            ]
        )._run()
