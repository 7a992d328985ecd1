import json
import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..engine import kpi as kpi_engine
from ..tools import rpc
from .relationship_engagement import TIERS
from .relationship_kpi_target import COMPARISONS

_logger = logging.getLogger(__name__)

STATUSES = [
    ("on_target", "On target"),
    ("off_target", "Off target"),
    ("no_data", "No data"),
    ("no_target", "No target"),
]
# Columns the measurement writes, in the order of the upsert's VALUES.
MEASURED_COLUMNS = (
    "company_id",
    "kpi",
    "period_type",
    "date_from",
    "date_to",
    "period",
    "value",
    "numerator",
    "denominator",
    "target_id",
    "target_value",
    "comparison",
    "status",
    "is_closed",
    "date_measured",
    "numerator_ids",
    "denominator_ids",
)


class RelationshipKpiMeasurement(models.Model):
    """One KPI of one company measured over one month or quarter: its value,
    the numerator and denominator behind it (and the documents they count),
    and where it stands against the company's target. Written by the monthly
    cron, the Measure KPIs wizard and ``_measure``, one row per company, KPI
    and period; a closed period is measured once unless asked again."""

    _name = "relationship.kpi.measurement"
    _description = "KPI Measurement"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_from desc, company_id, kpi"
    _rec_name = "period"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    kpi = fields.Selection(
        selection="_selection_kpi", string="KPI", required=True, readonly=True
    )
    period_type = fields.Selection(
        kpi_engine.PERIOD_TYPES, required=True, readonly=True
    )
    date_from = fields.Date(string="From", required=True, readonly=True, index=True)
    date_to = fields.Date(string="To", required=True, readonly=True)
    period = fields.Char(
        readonly=True, help="2026-05 for a month, 2026-Q2 for a quarter."
    )
    status = fields.Selection(STATUSES, readonly=True, index=True)
    value = fields.Float(readonly=True, digits=(16, 2), aggregator="avg")
    numerator = fields.Float(readonly=True, digits=(16, 2), aggregator="sum")
    denominator = fields.Float(readonly=True, digits=(16, 2), aggregator="sum")
    target_id = fields.Many2one(
        "relationship.kpi.target",
        string="Target Record",
        readonly=True,
        ondelete="set null",
    )
    target_value = fields.Float(string="Target", readonly=True, aggregator="avg")
    comparison = fields.Selection(COMPARISONS, readonly=True)
    user_id = fields.Many2one(related="target_id.user_id", string="Owner")
    is_closed = fields.Boolean(
        string="Closed",
        readonly=True,
        help="The period had ended when it was measured: the cron leaves it as is.",
    )
    date_measured = fields.Datetime(string="Measured On", readonly=True)
    alert_sent = fields.Boolean(
        readonly=True,
        help="The owner was alerted that the KPI is off target for this period "
        "(once per period).",
    )
    numerator_ids = fields.Json(string="Numerator Documents", readonly=True)
    denominator_ids = fields.Json(string="Denominator Documents", readonly=True)
    unit = fields.Selection(kpi_engine.UNITS, compute="_compute_kpi_info")
    kpi_help = fields.Text(string="Definition", compute="_compute_kpi_info")

    _sql_constraints = [
        (
            "period_uniq",
            "unique(company_id, kpi, period_type, date_from)",
            "A KPI is measured once per company and period.",
        ),
    ]

    # ---- The catalogue ----

    @api.model
    def _kpi_catalogue(self, period_type="month"):
        """``{key: Kpi}`` of every KPI, in display order. Other addons add
        theirs by extending this method (``relationship_brm`` does)."""
        return {kpi.key: kpi for kpi in kpi_engine.catalogue(period_type, TIERS)}

    @api.model
    def _selection_kpi(self):
        kpis = sorted(self._kpi_catalogue().values(), key=lambda kpi: kpi.sequence)
        return [
            (kpi.key, kpi_engine.translated(kpi.label, self.env.lang)) for kpi in kpis
        ]

    # ---- Computes ----

    @api.depends("kpi", "period")
    def _compute_display_name(self):
        labels = dict(self._selection_kpi())
        for measurement in self:
            measurement.display_name = (
                f"{labels.get(measurement.kpi, measurement.kpi)} {measurement.period}"
            )

    @api.depends("kpi")
    def _compute_kpi_info(self):
        catalogue = self._kpi_catalogue()
        for measurement in self:
            kpi = catalogue.get(measurement.kpi)
            measurement.unit = kpi.unit if kpi else False
            measurement.kpi_help = (
                kpi_engine.translated(kpi.help, self.env.lang) if kpi else False
            )

    # ---- Actions ----

    def action_view_numerator(self):
        return self._action_view_documents("numerator")

    def action_view_denominator(self):
        return self._action_view_documents("denominator")

    def _action_view_documents(self, part):
        """The documents the numerator (or denominator) counts."""
        self.ensure_one()
        kpi = self._kpi_catalogue(self.period_type).get(self.kpi)
        if not kpi:
            return False
        model = kpi.numerator_model if part == "numerator" else kpi.denominator_model
        ids = self[f"{part}_ids"] or []
        return {
            "type": "ir.actions.act_window",
            "name": self.env._(
                "%(measurement)s: %(part)s",
                measurement=self.display_name,
                part=self._fields[part].get_description(self.env)["string"],
            ),
            "res_model": model,
            "domain": [("id", "in", ids)],
            "views": [(False, "list"), (False, "form")],
            "context": {"active_test": False},
            "target": "current",
        }

    def action_remeasure(self):
        """Measure these periods again, closed ones included (managers)."""
        self.check_access("write")
        for (period_type, date_from), measurements in self.grouped(
            lambda m: (m.period_type, m.date_from)
        ).items():
            self._measure(measurements.company_id, period_type, date_from, force=True)
        return True

    # ---- Measuring ----

    @api.model
    def _measure(self, companies, period_type, any_day, force=False):
        """Measure every KPI of ``companies`` for the period (of
        ``period_type``) holding ``any_day``: one query per KPI and company,
        one upsert per company. KPIs already measured after the period closed
        are left as they are unless ``force``. Returns the measurements
        written, after alerting the owners of those newly off target."""
        self.check_access("create")
        # The queries read the companies' documents without record rules.
        foreign = companies - self.env.user.company_ids
        if foreign and not self.env.is_superuser():
            raise AccessError(
                self.env._(
                    "You do not work in %(companies)s: their KPIs are not yours "
                    "to measure.",
                    companies=", ".join(foreign.mapped("display_name")),
                )
            )
        date_from, date_to = kpi_engine.period_bounds(period_type, any_day)
        catalogue = self._kpi_catalogue(period_type)
        # The queries read the documents' tables as they stand.
        self.env.flush_all()
        written = []
        for company in companies:
            # The company's records, whichever companies the user has active.
            self_company = self.with_company(company)
            today = fields.Date.context_today(self_company)
            if date_from > today:
                continue
            kpis = list(catalogue.values())
            if not force:
                closed = set(
                    self_company.search(
                        [
                            ("company_id", "=", company.id),
                            ("period_type", "=", period_type),
                            ("date_from", "=", date_from),
                            ("is_closed", "=", True),
                        ]
                    ).mapped("kpi")
                )
                kpis = [kpi for kpi in kpis if kpi.key not in closed]
            if not kpis:
                continue
            results = kpi_engine.measure(
                self.env.cr, kpis, company.id, date_from, date_to, today
            )
            targets = {
                target.kpi: target
                for target in self_company.env["relationship.kpi.target"].search(
                    [
                        ("company_id", "=", company.id),
                        ("period_type", "=", period_type),
                    ]
                )
            }
            rows = []
            for kpi in kpis:
                numerator, denominator, numerator_ids, denominator_ids = results[
                    kpi.key
                ]
                value = kpi.value(numerator, denominator)
                target = targets.get(kpi.key)
                rows.append(
                    (
                        company.id,
                        kpi.key,
                        period_type,
                        date_from,
                        date_to,
                        kpi_engine.period_label(period_type, date_from),
                        value,
                        numerator,
                        denominator,
                        target.id if target else None,
                        target.value if target else None,
                        target.comparison if target else None,
                        kpi_engine.status(
                            kpi,
                            value,
                            target and target.comparison,
                            target and target.value,
                        ),
                        date_to < today,
                        fields.Datetime.now(),
                        json.dumps(numerator_ids),
                        json.dumps(denominator_ids),
                    )
                )
            written += self._upsert(rows)
        self.invalidate_model()
        # Every measured company readable, not only the active ones.
        measurements = self.with_context(
            allowed_company_ids=(self.env.companies | companies).ids
        ).browse(written)
        measurements._alert_off_target()
        return measurements

    def _upsert(self, rows):
        """Insert or update the measurements ``rows`` (tuples of
        ``MEASURED_COLUMNS``) in one statement; concurrent measurements of
        the same period meet on the unique constraint. Returns their ids."""
        if not rows:
            return []
        uid = self.env.uid
        columns = SQL(", ").join(SQL.identifier(name) for name in MEASURED_COLUMNS)
        updates = SQL(", ").join(
            SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name))
            for name in (*MEASURED_COLUMNS[4:], "write_uid", "write_date")
        )
        values = SQL(", ").join(
            SQL(
                "(%s, %s::jsonb, %s::jsonb, %s, now() AT TIME ZONE 'UTC', %s,"
                " now() AT TIME ZONE 'UTC', FALSE)",
                SQL(", ").join(SQL("%s", value) for value in row[:15]),
                row[15],
                row[16],
                uid,
                uid,
            )
            for row in rows
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO relationship_kpi_measurement
                       (%(columns)s, create_uid, create_date, write_uid,
                        write_date, alert_sent)
                VALUES %(values)s
                ON CONFLICT (company_id, kpi, period_type, date_from)
                DO UPDATE SET %(updates)s
                RETURNING id
                """,
                columns=columns,
                values=values,
                updates=updates,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _alert_off_target(self):
        """One activity for the target's owner and one ``kpi_off_target``
        event per measurement off target, once per period: the flag is set
        by one conditional UPDATE, so a second measurement (or a concurrent
        one, which waits for the row lock) finds it set and alerts nobody."""
        off_target = self.filtered(
            lambda m: m.status == "off_target" and m.target_id.user_id
        )
        if not off_target:
            return self.browse()
        self.env.cr.execute(
            SQL(
                """
                UPDATE relationship_kpi_measurement SET alert_sent = TRUE
                 WHERE id = ANY(%s) AND status = 'off_target'
                   AND alert_sent IS NOT TRUE
                RETURNING id
                """,
                off_target.ids,
            )
        )
        alerted = self.browse(sorted(row[0] for row in self.env.cr.fetchall()))
        self.invalidate_model(["alert_sent"])
        if not alerted:
            return alerted
        texts = {
            measurement.id: measurement._off_target_text() for measurement in alerted
        }
        model_id = self.env["ir.model"]._get_id(self._name)
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        # sudo: the alert is assigned by the system to the target's owner,
        # whatever the rights on activities of whoever measured.
        self.env["mail.activity"].sudo().create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": measurement.id,
                    "activity_type_id": activity_type.id,
                    "user_id": measurement.target_id.user_id.id,
                    "summary": self.env._(
                        "KPI off target: %(kpi)s", kpi=measurement.display_name
                    ),
                    "note": texts[measurement.id],
                }
                for measurement in alerted
            ]
        )
        self.env["relationship.event"]._emit(
            [
                {
                    "event_type": "kpi_off_target",
                    "company_id": measurement.company_id.id,
                    "res_model": self._name,
                    "res_id": measurement.id,
                    "old_value": f"{measurement.target_value:g}",
                    "new_value": f"{measurement.value:g}",
                    "description": texts[measurement.id],
                }
                for measurement in alerted
            ]
        )
        return alerted

    def _off_target_text(self):
        comparisons = dict(self._fields["comparison"]._description_selection(self.env))
        # Figures formatted first: the translation extractor reads the call.
        value, target, numerator, denominator = (
            format(figure, "g")
            for figure in (
                self.value,
                self.target_value,
                self.numerator,
                self.denominator,
            )
        )
        return self.env._(
            "%(kpi)s is off target: %(value)s, target %(comparison)s %(target)s "
            "(%(numerator)s / %(denominator)s).",
            kpi=self.display_name,
            value=value,
            comparison=comparisons.get(self.comparison, "").lower(),
            target=target,
            numerator=numerator,
            denominator=denominator,
        )

    # ---- Public API ----

    @api.model
    def kpi_status(self, company_id, period):
        """Every KPI of the company for ``period`` (``"2026-05"`` or
        ``"2026-Q2"``) as stored by the last measurement: value, target,
        status and the figures behind them. KPIs not measured yet have the
        status ``not_measured``. Plain values (False for none)."""
        if not isinstance(company_id, int) or isinstance(company_id, bool):
            raise UserError(
                self.env._(
                    "The company id must be an integer, got %(value)s.",
                    value=repr(company_id)[:80],
                )
            )
        # The one company check of the public methods (the company is its own).
        company = rpc.checked_records(
            self.env,
            "res.company",
            [company_id],
            self.env._("company ids"),
            company_of=lambda record: record,
        )
        parsed = kpi_engine.parse_period(period)
        if not parsed:
            raise UserError(
                self.env._(
                    "The period must be a month like 2026-05 or a quarter like "
                    "2026-Q2, got %(value)s.",
                    value=repr(period)[:80],
                )
            )
        period_type, date_from = parsed
        measurements = {
            measurement.kpi: measurement
            for measurement in self.with_company(company).search(
                [
                    ("company_id", "=", company.id),
                    ("period_type", "=", period_type),
                    ("date_from", "=", date_from),
                ]
            )
        }
        labels = dict(self._selection_kpi())
        result = []
        for key, kpi in self._kpi_catalogue(period_type).items():
            measurement = measurements.get(key)
            measured = bool(measurement) and measurement.status != "no_data"
            result.append(
                {
                    "kpi": key,
                    "name": labels[key],
                    "unit": kpi.unit,
                    "period": kpi_engine.period_label(period_type, date_from),
                    "status": measurement.status if measurement else "not_measured",
                    "value": measurement.value if measured else False,
                    "numerator": measurement.numerator if measurement else False,
                    "denominator": measurement.denominator if measurement else False,
                    "target": (
                        measurement.target_value
                        if measurement and measurement.comparison
                        else False
                    ),
                    "comparison": measurement.comparison if measurement else False,
                    "is_closed": bool(measurement) and measurement.is_closed,
                    "measured_on": rpc.iso(measurement.date_measured)
                    if measurement
                    else False,
                }
            )
        return result

    # ---- Crons ----

    @api.model
    def _cron_measure(self):
        """Monthly: the month and quarter just ended (once, then closed) and
        the running ones, for every company."""
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].search([])
        for period_type in ("month", "quarter"):
            current = kpi_engine.period_bounds(period_type, today)[0]
            for date_from in (
                kpi_engine.previous_period(period_type, current),
                current,
            ):
                measurements = self._measure(companies, period_type, date_from)
                _logger.info(
                    "KPIs: %s measurements of the %s starting %s",
                    len(measurements),
                    period_type,
                    date_from,
                )
