import json
import logging
import threading
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, split_every

from ..engine import obligations as engine
from .relationship_agreement import RUNNING_STATES

_logger = logging.getLogger(__name__)

# Agreements whose obligations the cron measures per batch (then commits).
REFRESH_BATCH = 500
# Period rows written per statement.
WRITE_CHUNK = 5000


class RelationshipAgreementObligation(models.Model):
    _name = "relationship.agreement.obligation"
    _description = "Agreement Obligation"
    _order = "agreement_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(
        compute="_compute_name", store=True, readonly=False, precompute=True
    )
    agreement_id = fields.Many2one(
        "relationship.agreement",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="agreement_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(related="agreement_id.partner_id", store=True)
    currency_id = fields.Many2one(related="agreement_id.currency_id")
    user_id = fields.Many2one(related="agreement_id.user_id", string="Owner")
    agreement_state = fields.Selection(
        related="agreement_id.state", string="Agreement Status"
    )
    sequence = fields.Integer(default=10)
    kind = fields.Selection(engine.KINDS, required=True, default="on_time_delivery")
    target = fields.Float(
        required=True,
        default=95.0,
        help="A percentage for the rates, an amount in the agreement's currency "
        "for volumes, a number of disputes for the disputes.",
    )
    period = fields.Selection(
        engine.PERIODS, string="Measured", required=True, default="month"
    )
    volume_basis = fields.Selection(
        engine.VOLUME_BASES,
        default="ordered",
        help="Volumes count confirmed orders or posted invoices net of refunds.",
    )
    price_tolerance = fields.Float(
        string="Price Tolerance (%)",
        help="How far above the agreed price an invoiced price still complies.",
    )
    warning_margin = fields.Float(
        string="Warning Margin (%)",
        default=10.0,
        help="A ceiling (maximum volume, disputes) is at risk once the running "
        "period comes this close to it.",
    )
    status = fields.Selection(
        engine.STATUSES, readonly=True, copy=False, help="Status of the last period."
    )
    actual = fields.Float(readonly=True, copy=False, help="Figure of the last period.")
    date_measured = fields.Datetime(string="Last Measured", readonly=True, copy=False)
    period_ids = fields.One2many(
        "relationship.obligation.period", "obligation_id", string="Periods"
    )
    period_count = fields.Integer(compute="_compute_period_counts")
    breach_count = fields.Integer(string="Breaches", compute="_compute_period_counts")
    target_label = fields.Char(string="Target Value", compute="_compute_target_label")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("kind")
    def _compute_name(self):
        labels = dict(self._fields["kind"]._description_selection(self.env))
        for obligation in self:
            if not obligation.name:
                obligation.name = labels.get(obligation.kind)

    def _compute_period_counts(self):
        counts = {
            (obligation.id, status): count
            for obligation, status, count in self.env[
                "relationship.obligation.period"
            ]._read_group(
                [("obligation_id", "in", self.ids)],
                ["obligation_id", "status"],
                ["__count"],
            )
        }
        for obligation in self:
            obligation.period_count = sum(
                counts.get((obligation.id, status), 0) for status, __ in engine.STATUSES
            )
            obligation.breach_count = counts.get((obligation.id, "breached"), 0)

    @api.depends("kind", "target", "currency_id")
    def _compute_target_label(self):
        for obligation in self:
            obligation.target_label = obligation._format_value(obligation.target)

    def _format_value(self, value):
        self.ensure_one()
        if value is None or value is False:
            return "-"
        if self.kind in engine.RATE_KINDS:
            return f"{value:g} %"
        if self.kind in ("min_volume", "max_volume"):
            currency = self.currency_id or self.env.company.currency_id
            return currency.format(value)
        return f"{value:g}"

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("kind", "target", "price_tolerance", "warning_margin")
    def _check_target(self):
        for obligation in self:
            if obligation.target < 0:
                raise ValidationError(
                    self.env._(
                        "The target of obligation %(obligation)s on %(agreement)s "
                        "cannot be negative (%(target)s).",
                        obligation=obligation.name,
                        agreement=obligation.agreement_id.display_name,
                        target=obligation.target,
                    )
                )
            if obligation.kind in engine.RATE_KINDS and obligation.target > 100:
                raise ValidationError(
                    self.env._(
                        "Obligation %(obligation)s on %(agreement)s is a rate: its "
                        "target is a percentage, not %(target)s.",
                        obligation=obligation.name,
                        agreement=obligation.agreement_id.display_name,
                        target=obligation.target,
                    )
                )
            if obligation.price_tolerance < 0 or not (
                0 <= obligation.warning_margin <= 100
            ):
                raise ValidationError(
                    self.env._(
                        "Obligation %(obligation)s on %(agreement)s: the price "
                        "tolerance (%(tolerance)s) cannot be negative and the "
                        "warning margin (%(margin)s) is a percentage.",
                        obligation=obligation.name,
                        agreement=obligation.agreement_id.display_name,
                        tolerance=obligation.price_tolerance,
                        margin=obligation.warning_margin,
                    )
                )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_periods(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_brm.relationship_obligation_period_action"
        )
        action["domain"] = [("obligation_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_refresh(self):
        return self.agreement_id.action_refresh_obligations()

    # ------------------------------------------------------------------
    # Measurement
    # ------------------------------------------------------------------

    @api.model
    def refresh_obligations(self, agreement_ids=None):
        """Measure the obligations of the running agreements ``agreement_ids``
        (a list of ids the user may read), or of every running agreement
        (managers only). Returns ``{"agreements": n, "obligations": n,
        "periods": n, "breaches": n}``.

        Periods are computed data: they are written with SQL whatever the
        user's write rights, for the agreements the user may read."""
        if agreement_ids is None:
            if not self.env.user.has_group(
                "relationship_mgmt.group_relationship_manager"
            ):
                raise AccessError(
                    self.env._(
                        "Only relationship managers measure the obligations of "
                        "every agreement."
                    )
                )
            obligations = self.search([("agreement_id.state", "in", RUNNING_STATES)])
        else:
            agreements = self._agreements_from_ids(agreement_ids)
            obligations = agreements.obligation_ids
        return obligations._refresh()

    @api.model
    def _agreements_from_ids(self, agreement_ids):
        if not isinstance(agreement_ids, list | tuple) or not all(
            isinstance(aid, int) and not isinstance(aid, bool) for aid in agreement_ids
        ):
            raise UserError(
                self.env._(
                    "Agreement ids must be a list of integers, got %(value)r.",
                    value=agreement_ids,
                )
            )
        agreements = self.env["relationship.agreement"].browse(agreement_ids).exists()
        missing = set(agreement_ids) - set(agreements.ids)
        if missing:
            raise UserError(
                self.env._(
                    "Unknown agreement ids: %(ids)s.",
                    ids=", ".join(str(aid) for aid in sorted(missing)),
                )
            )
        agreements.check_access("read")
        return agreements

    def _refresh(self):
        """Measure every period of these obligations (of running agreements)
        from the documents, store the periods, record new breaches."""
        today = fields.Date.context_today(self)
        obligations = self.filtered(
            lambda o: (
                o.agreement_id.state in RUNNING_STATES and o.agreement_id.date_start
            )
        )
        result = {
            "agreements": len(obligations.agreement_id),
            "obligations": len(obligations),
            "periods": 0,
            "breaches": 0,
        }
        if not obligations:
            return result
        # The SQL below reads documents and writes periods: flush pending ORM
        # writes first so that it sees them.
        self.env.flush_all()
        by_kind = defaultdict(list)
        for obligation in obligations:
            agreement = obligation.agreement_id
            for date_from, date_to in engine.period_bounds(
                obligation.period, agreement.date_start, agreement.date_end, today
            ):
                by_kind[obligation.kind].append(
                    (obligation.id, agreement.id, date_from, date_to)
                )
        rows = []
        for kind, periods in by_kind.items():
            measures = obligations._measure(kind, periods, today)
            for obligation_id, __, date_from, date_to in periods:
                obligation = self.browse(obligation_id)
                measure = measures.get((obligation_id, date_from)) or {}
                actual = measure.get("actual")
                status = engine.period_status(
                    kind,
                    obligation.target,
                    actual,
                    date_to >= today,
                    obligation.warning_margin,
                )
                rows.append(
                    (
                        obligation_id,
                        date_from,
                        date_to,
                        obligation.target,
                        actual,
                        measure.get("measured", 0),
                        status,
                        date_to >= today,
                        json.dumps(_refs(measure.get("documents"))),
                        json.dumps(_refs(measure.get("failing"))),
                    )
                )
        obligations._write_periods(rows)
        result["periods"] = len(rows)
        result["breaches"] = obligations._record_breaches()
        obligations._write_summary()
        self.env["relationship.obligation.period"].invalidate_model()
        self.invalidate_model()
        self.env["relationship.agreement"].invalidate_model(
            ["breach_count", "date_last_breach"]
        )
        return result

    def _measure(self, kind, periods, today):
        """``{(obligation id, date from): measure}`` of ``periods`` (see
        engine.obligations) for the obligations of one ``kind``."""
        cr = self.env.cr
        if kind in ("on_time_delivery", "in_full_delivery", "payment_punctuality"):
            return getattr(engine, kind)(cr, periods, today)
        ids = {period[0] for period in periods}
        obligations = self.browse(sorted(ids))
        if kind in ("min_volume", "max_volume"):
            return engine.volume(
                cr,
                periods,
                {o.id: o.volume_basis or "ordered" for o in obligations},
                today,
            )
        if kind == "price_compliance":
            return engine.price_compliance(
                cr, periods, {o.id: o.price_tolerance for o in obligations}, today
            )
        return obligations._measure_disputes(periods, today) or {}

    def _measure_disputes(self, periods, today):
        """Disputes opened in each period (a dispute module fills this in):
        ``{(obligation id, date from): measure}``, or None when no module
        tracks disputes — the periods then have no data."""
        return None

    def _write_periods(self, rows):
        """Upsert the measured periods (one statement per chunk) and drop the
        periods of these obligations that no longer exist (dates or period
        length changed)."""
        cr = self.env.cr
        now = fields.Datetime.now()
        for chunk in split_every(WRITE_CHUNK, rows, list):
            columns = list(zip(*chunk, strict=True))
            cr.execute(
                SQL(
                    """
                    INSERT INTO relationship_obligation_period
                           (obligation_id, agreement_id, company_id, partner_id,
                            kind, date_from, date_to, target, actual,
                            measured_count, status, is_open, document_refs,
                            failing_refs, breach_notified, date_computed,
                            create_uid, create_date, write_uid, write_date)
                    SELECT v.obligation_id, o.agreement_id, o.company_id,
                           o.partner_id, o.kind, v.date_from, v.date_to,
                           v.target, v.actual, v.measured, v.status, v.is_open,
                           v.documents, v.failing, FALSE, %(now)s,
                           %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM unnest(%(obligation_ids)s::int[], %(date_froms)s::date[],
                                  %(date_tos)s::date[], %(targets)s::float8[],
                                  %(actuals)s::float8[], %(measured)s::int[],
                                  %(statuses)s::varchar[], %(open)s::bool[],
                                  %(documents)s::jsonb[], %(failing)s::jsonb[])
                           AS v(obligation_id, date_from, date_to, target, actual,
                                measured, status, is_open, documents, failing)
                      JOIN relationship_agreement_obligation o
                        ON o.id = v.obligation_id
                    ON CONFLICT (obligation_id, date_from) DO UPDATE SET
                           date_to = EXCLUDED.date_to,
                           target = EXCLUDED.target,
                           actual = EXCLUDED.actual,
                           measured_count = EXCLUDED.measured_count,
                           status = EXCLUDED.status,
                           is_open = EXCLUDED.is_open,
                           document_refs = EXCLUDED.document_refs,
                           failing_refs = EXCLUDED.failing_refs,
                           date_computed = EXCLUDED.date_computed,
                           write_uid = EXCLUDED.write_uid,
                           write_date = EXCLUDED.write_date
                    """,
                    now=now,
                    uid=self.env.uid,
                    obligation_ids=list(columns[0]),
                    date_froms=list(columns[1]),
                    date_tos=list(columns[2]),
                    targets=list(columns[3]),
                    actuals=list(columns[4]),
                    measured=list(columns[5]),
                    statuses=list(columns[6]),
                    open=list(columns[7]),
                    documents=list(columns[8]),
                    failing=list(columns[9]),
                )
            )
        kept = [(row[0], row[1]) for row in rows]
        cr.execute(
            SQL(
                """
                DELETE FROM relationship_obligation_period p
                 WHERE p.obligation_id = ANY(%(ids)s)
                   AND (p.obligation_id, p.date_from) NOT IN (
                       SELECT * FROM unnest(%(kept_ids)s::int[], %(kept_dates)s::date[])
                   )
                """,
                ids=self.ids,
                kept_ids=[key[0] for key in kept],
                kept_dates=[key[1] for key in kept],
            )
        )

    def _record_breaches(self):
        """For each period newly breached: an activity for the agreement's
        owner and a message on the agreement; the period is marked notified
        so that a second run does nothing. Updates the agreements' breach
        counts. Returns the number of new breaches."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT id FROM relationship_obligation_period "
                "WHERE obligation_id = ANY(%s) AND status = 'breached' "
                "AND NOT breach_notified ORDER BY id",
                self.ids,
            )
        )
        Period = self.env["relationship.obligation.period"]
        breaches = Period.browse([row[0] for row in cr.fetchall()])
        if breaches:
            by_agreement = breaches.grouped("agreement_id")
            # One activity per agreement (listing its new breaches), so that
            # the owner gets a single to-do per refresh and agreement.
            self.env["relationship.agreement"]._create_owner_activities(
                "relationship_brm.mail_activity_type_obligation_breach",
                [
                    (
                        agreement,
                        self.env._(
                            "Breached: %(obligations)s",
                            obligations=", ".join(
                                sorted(set(periods.obligation_id.mapped("name")))
                            ),
                        ),
                        Markup("<br/>").join(
                            period._breach_text() for period in periods
                        ),
                        fields.Date.context_today(self),
                    )
                    for agreement, periods in by_agreement.items()
                ],
            )
            # One note per agreement, logged in one batch (no notification:
            # the owner gets the activity above). The caller may read these
            # agreements; the batch log writes the messages as superuser.
            agreements = self.env["relationship.agreement"].concat(*by_agreement)
            agreements._message_log_batch(
                {
                    agreement.id: Markup("<p>%s</p><ul>%s</ul>")
                    % (
                        self.env._("Obligations breached:"),
                        Markup("").join(
                            Markup("<li>%s</li>") % period._breach_text()
                            for period in periods
                        ),
                    )
                    for agreement, periods in by_agreement.items()
                },
                message_type="comment",
            )
            cr.execute(
                SQL(
                    "UPDATE relationship_obligation_period "
                    "SET breach_notified = TRUE WHERE id = ANY(%s)",
                    breaches.ids,
                )
            )
        cr.execute(
            SQL(
                """
                UPDATE relationship_agreement ag
                   SET breach_count = counted.breaches,
                       date_last_breach = counted.last_breach
                  FROM (
                      SELECT a.id,
                             COUNT(p.id) FILTER (WHERE p.status = 'breached')
                                 AS breaches,
                             MAX(p.date_to) FILTER (WHERE p.status = 'breached')
                                 AS last_breach
                        FROM relationship_agreement a
                        LEFT JOIN relationship_obligation_period p
                          ON p.agreement_id = a.id
                       WHERE a.id = ANY(%s)
                       GROUP BY a.id
                  ) counted
                 WHERE counted.id = ag.id
                """,
                self.agreement_id.ids,
            )
        )
        return len(breaches)

    def _write_summary(self):
        """Status and figure of each obligation's last period."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE relationship_agreement_obligation o
                   SET status = last.status, actual = last.actual,
                       date_measured = %(now)s
                  FROM (
                      SELECT DISTINCT ON (obligation_id) obligation_id, status, actual
                        FROM relationship_obligation_period
                       WHERE obligation_id = ANY(%(ids)s)
                       ORDER BY obligation_id, date_from DESC
                  ) last
                 WHERE last.obligation_id = o.id
                """,
                now=fields.Datetime.now(),
                ids=self.ids,
            )
        )

    # ------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------

    @api.model
    def _cron_refresh_obligations(self):
        """Daily: measure the obligations of every running agreement, by
        batches of agreements (committed one by one outside tests)."""
        commit = not getattr(threading.current_thread(), "testing", False)
        agreements = self.env["relationship.agreement"].search(
            [("state", "in", RUNNING_STATES), ("obligation_ids", "!=", False)],
            order="id",
        )
        totals = defaultdict(int)
        for batch in split_every(REFRESH_BATCH, agreements.ids):
            batch_agreements = agreements.browse(batch)
            result = batch_agreements.obligation_ids._refresh()
            for key, value in result.items():
                totals[key] += value
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        _logger.info("Obligations measured: %s", dict(totals))
        return dict(totals)


def _refs(refs):
    """``{model: [ids]}`` from ``["model:id", ...]``."""
    result = defaultdict(list)
    for ref in refs or ():
        model, __, record_id = ref.rpartition(":")
        result[model].append(int(record_id))
    return {model: sorted(set(ids)) for model, ids in result.items()}
