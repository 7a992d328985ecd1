import json
import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL, split_every

from odoo.addons.relationship_mgmt.tools import actions, batch_runner, bulk, rpc

from ..engine import obligations as engine
from .relationship_agreement import RUNNING_STATES

_logger = logging.getLogger(__name__)

# Agreements whose obligations the cron measures per batch (then commits).
REFRESH_BATCH = 500
# The measured periods are loaded (COPY) into this temporary table, then
# merged into relationship_obligation_period by a few set-based statements.
MEASURED_TABLE = "relationship_obligation_period_measured"
# Columns of the rows built by _refresh, in order, with their SQL types.
PERIOD_COLUMNS = [
    ("obligation_id", "int4"),
    ("date_from", "date"),
    ("date_to", "date"),
    ("target", "float8"),
    ("actual", "float8"),
    ("measured_count", "int4"),
    ("status", "varchar"),
    ("is_open", "bool"),
    ("document_refs", "jsonb"),
    ("failing_refs", "jsonb"),
]
# The measured values of a period (its key is obligation and start date).
PERIOD_VALUE_COLUMNS = [name for name, __ in PERIOD_COLUMNS[2:]]


class RelationshipAgreementObligation(models.Model):
    _name = "relationship.agreement.obligation"
    _description = "Agreement Obligation"
    _inherit = ["relationship.input.check"]
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
    def action_refresh_all(self):
        """Refresh Now ▸ Measure All Obligations (managers): measure, then say
        what was measured."""
        result = self.refresh_obligations()
        return actions.notification(
            self.env._("Obligations measured"),
            self.env._(
                "%(obligations)s obligations of %(agreements)s running "
                "agreements: %(periods)s periods measured, %(breaches)s new "
                "breaches.",
                **result,
            ),
            "warning" if result["breaches"] else "success",
        )

    @api.model
    def _agreements_from_ids(self, agreement_ids):
        agreements = rpc.checked_records(
            self.env,
            "relationship.agreement",
            agreement_ids,
            self.env._("agreement ids"),
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
        # Target and warning margin of each obligation, read once (not a
        # record lookup per period below).
        thresholds = {}
        # Agreements often share their dates: each set of bounds computed once.
        bounds = {}
        for obligation in obligations:
            agreement = obligation.agreement_id
            thresholds[obligation.id] = (obligation.target, obligation.warning_margin)
            key = (obligation.period, agreement.date_start, agreement.date_end)
            if key not in bounds:
                bounds[key] = engine.period_bounds(*key, today)
            by_kind[obligation.kind].extend(
                (obligation.id, agreement.id, date_from, date_to)
                for date_from, date_to in bounds[key]
            )
        rows = []
        for kind, periods in by_kind.items():
            measures = obligations._measure(kind, periods, today)
            for obligation_id, __, date_from, date_to in periods:
                target, margin = thresholds[obligation_id]
                measure = measures.get((obligation_id, date_from)) or {}
                actual = measure.get("actual")
                is_open = date_to >= today
                rows.append(
                    (
                        obligation_id,
                        date_from,
                        date_to,
                        target,
                        actual,
                        measure.get("measured", 0),
                        engine.period_status(kind, target, actual, is_open, margin),
                        is_open,
                        _refs_json(measure.get("documents")),
                        _refs_json(measure.get("failing")),
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
        """Store the measured periods ``rows`` (tuples in the order of
        ``PERIOD_COLUMNS``) of these obligations: insert the new periods,
        update only those whose figures changed, leave the others untouched
        (their write date too), and delete the periods that no longer exist
        (dates or period length changed). Returns the number of rows
        inserted, updated or deleted."""
        cr = self.env.cr
        bulk.copy_into_temp(cr, MEASURED_TABLE, PERIOD_COLUMNS, rows)
        # A temporary table has no statistics: without them the planner
        # guesses its size and may pick nested loops over 100k periods.
        cr.execute(SQL("ANALYZE %s", SQL.identifier(MEASURED_TABLE)))
        measured = SQL.identifier(MEASURED_TABLE)
        values = SQL(", ").join(SQL.identifier(name) for name in PERIOD_VALUE_COLUMNS)
        audit = {"now": fields.Datetime.now(), "uid": self.env.uid}
        cr.execute(
            SQL(
                """
                DELETE FROM relationship_obligation_period p
                 WHERE p.obligation_id = ANY(%(ids)s)
                   AND NOT EXISTS (
                       SELECT FROM %(measured)s m
                        WHERE m.obligation_id = p.obligation_id
                          AND m.date_from = p.date_from)
                """,
                ids=engine.array(self.ids, "int4[]"),
                measured=measured,
            )
        )
        written = cr.rowcount
        cr.execute(
            SQL(
                """
                UPDATE relationship_obligation_period p
                   SET (%(values)s, date_computed, write_uid, write_date)
                     = (%(measured_values)s, %(now)s, %(uid)s, %(now)s)
                  FROM %(measured)s m
                 WHERE p.obligation_id = m.obligation_id
                   AND p.date_from = m.date_from
                   AND (%(current_values)s) IS DISTINCT FROM (%(measured_values)s)
                """,
                values=values,
                measured_values=SQL(", ").join(
                    SQL("m.%s", SQL.identifier(name)) for name in PERIOD_VALUE_COLUMNS
                ),
                current_values=SQL(", ").join(
                    SQL("p.%s", SQL.identifier(name)) for name in PERIOD_VALUE_COLUMNS
                ),
                measured=measured,
                **audit,
            )
        )
        written += cr.rowcount
        # ON CONFLICT: a refresh running at the same time (the cron and a
        # user) may have inserted the same period meanwhile.
        cr.execute(
            SQL(
                """
                INSERT INTO relationship_obligation_period
                       (obligation_id, agreement_id, company_id, partner_id, kind,
                        date_from, %(values)s, breach_notified, date_computed,
                        create_uid, create_date, write_uid, write_date)
                SELECT m.obligation_id, o.agreement_id, o.company_id, o.partner_id,
                       o.kind, m.date_from, %(measured_values)s, FALSE, %(now)s,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM %(measured)s m
                  JOIN relationship_agreement_obligation o ON o.id = m.obligation_id
                 WHERE NOT EXISTS (
                       SELECT FROM relationship_obligation_period p
                        WHERE p.obligation_id = m.obligation_id
                          AND p.date_from = m.date_from)
                ON CONFLICT (obligation_id, date_from) DO NOTHING
                """,
                values=values,
                measured_values=SQL(", ").join(
                    SQL("m.%s", SQL.identifier(name)) for name in PERIOD_VALUE_COLUMNS
                ),
                measured=measured,
                **audit,
            )
        )
        written += cr.rowcount
        _logger.debug("Obligation periods written: %s of %s", written, len(rows))
        return written

    def _record_breaches(self):
        """Mark the periods of these obligations newly breached (breached and
        not notified yet) as notified, notify them (see
        ``_notify_breaches``) and update the agreements' breach counts: a
        second run finds nothing new and notifies nothing. Returns the number
        of new breaches."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                UPDATE relationship_obligation_period
                   SET breach_notified = TRUE
                 WHERE obligation_id = ANY(%s)
                   AND status = 'breached' AND NOT breach_notified
             RETURNING id
                """,
                engine.array(self.ids, "int4[]"),
            )
        )
        breaches = self.env["relationship.obligation.period"].browse(
            sorted(row[0] for row in cr.fetchall())
        )
        if breaches:
            self._notify_breaches(breaches)
            # One relationship.event per new breach, for automation rules.
            self.env["relationship.event"]._emit_breach_events(breaches)
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
                   AND (ag.breach_count, ag.date_last_breach)
                       IS DISTINCT FROM (counted.breaches, counted.last_breach)
                """,
                engine.array(self.agreement_id.ids, "int4[]"),
            )
        )
        return len(breaches)

    def _notify_breaches(self, periods):
        """The one place where the newly breached ``periods`` are known:
        one activity for the owner of each agreement (listing its new
        breaches, so that the owner gets a single to-do per refresh and
        agreement) and one note per agreement. The texts are formatted from
        one query, each date and amount once (see ``_breach_texts``)."""
        by_agreement = defaultdict(list)
        for agreement_id, obligation_name, text in periods._breach_texts().values():
            by_agreement[agreement_id].append((obligation_name, text))
        agreements = self.env["relationship.agreement"].browse(sorted(by_agreement))
        self.env["relationship.agreement"]._create_owner_activities(
            "relationship_brm.mail_activity_type_obligation_breach",
            [
                (
                    agreement,
                    self.env._(
                        "Breached: %(obligations)s",
                        obligations=", ".join(
                            sorted({name for name, __ in by_agreement[agreement.id]})
                        ),
                    ),
                    Markup("<br/>").join(
                        text for __, text in by_agreement[agreement.id]
                    ),
                    fields.Date.context_today(self),
                )
                for agreement in agreements
            ],
        )
        # No notification: the owner gets the activity above. The caller may
        # read these agreements; the batch log writes the messages as
        # superuser.
        heading = self.env._("Obligations breached:")
        agreements._message_log_batch(
            {
                agreement.id: Markup("<p>%s</p><ul>%s</ul>")
                % (
                    heading,
                    Markup("").join(
                        Markup("<li>%s</li>") % text
                        for __, text in by_agreement[agreement.id]
                    ),
                )
                for agreement in agreements
            },
            message_type="comment",
        )

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
                ids=engine.array(self.ids, "int4[]"),
            )
        )

    # ------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------

    @api.model
    def _cron_refresh_obligations(self):
        """Daily: measure the obligations of every running agreement, by
        batches of agreements (committed one by one outside tests)."""
        commit = batch_runner.may_commit()
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


def _refs_json(refs):
    """``_refs`` as JSON text."""
    return json.dumps(_refs(refs)) if refs else "{}"


def _refs(refs):
    """``{model: [ids]}`` from ``["model:id", ...]``."""
    result = defaultdict(list)
    for ref in refs or ():
        model, __, record_id = ref.rpartition(":")
        result[model].append(int(record_id))
    return {model: sorted(set(ids)) for model, ids in result.items()}
