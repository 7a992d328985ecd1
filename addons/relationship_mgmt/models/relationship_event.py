import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# System parameter holding how many days events are kept (0 or less: forever).
RETENTION_PARAM = "relationship_mgmt.event_retention_days"
DEFAULT_RETENTION_DAYS = 90


class RelationshipEvent(models.Model):
    """Something that happened to a customer relationship (an engagement tier
    changed, an obligation was breached...), recorded so that automation
    rules (``base_automation``, trigger "On save" on this model) can react to
    it. Events are written by the computations only, in one batched
    ``create`` per batch; users read them, managers may delete them, and a
    cron removes them after the retention period."""

    _name = "relationship.event"
    _description = "Relationship Event"
    _order = "create_date desc, id desc"
    _rec_name = "description"
    _check_company_auto = True

    event_type = fields.Selection(
        [
            ("tier_changed", "Engagement tier changed"),
            ("first_scored", "Engagement scored for the first time"),
            ("kpi_off_target", "KPI off target"),
        ],
        required=True,
        readonly=True,
        index=True,
        help="What happened; automation rules on this model filter on it.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    res_model = fields.Char(
        string="Document Model",
        readonly=True,
        help="Technical name of the model of the record the event is about.",
    )
    res_id = fields.Many2oneReference(
        string="Document ID", model_field="res_model", readonly=True
    )
    record_ref = fields.Reference(
        selection="_selection_record_ref",
        compute="_compute_record_ref",
        string="Document",
    )
    description = fields.Char(readonly=True)
    old_value = fields.Char(
        string="Before",
        readonly=True,
        help="Value before the event, as a key automation rules can filter on "
        "(the previous tier, e.g. 'steady', for a tier change).",
    )
    new_value = fields.Char(
        string="After",
        readonly=True,
        help="Value after the event, as a key automation rules can filter on "
        "(the new tier, e.g. 'at_risk', for a tier change).",
    )

    @api.model
    def _selection_record_ref(self):
        return [
            (model.model, model.name)
            for model in self.env["ir.model"].sudo().search([])  # sudo: model names
        ]

    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        for event in self:
            if event.res_model in self.env and event.res_id:
                event.record_ref = f"{event.res_model},{event.res_id}"
            else:
                event.record_ref = False

    def action_open_record(self):
        """Open the record the event is about."""
        self.ensure_one()
        if self.res_model not in self.env or not self.res_id:
            return False
        record = self.env[self.res_model].browse(self.res_id).exists()
        if not record:
            return False
        record.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "views": [(False, "form")],
            "target": "current",
        }

    @api.model
    def _emit(self, vals_list):
        """Record the events ``vals_list`` in one batched ``create`` (which is
        what fires the automation rules on this model). Returns them."""
        if not vals_list:
            return self.browse()
        # sudo: events are written by computations on behalf of whoever ran
        # them (users may only read events); the values come from the code.
        return self.sudo().create(vals_list).with_env(self.env)

    @api.model
    def _cron_purge(self):
        """Delete the events older than the retention period (the system
        parameter ``relationship_mgmt.event_retention_days``, 90 days by
        default; 0 or less keeps them forever). Running it twice deletes
        nothing more."""
        days = self._retention_days()
        if days <= 0:
            return 0
        limit = fields.Datetime.now() - timedelta(days=days)
        self.flush_model()
        self.env.cr.execute(
            SQL("DELETE FROM relationship_event WHERE create_date < %s", limit)
        )
        count = self.env.cr.rowcount
        self.invalidate_model()
        _logger.info("Relationship events: %s older than %s days deleted", count, days)
        return count

    @api.model
    def _retention_days(self):
        # sudo: the cron and tests read a technical setting
        value = self.env["ir.config_parameter"].sudo().get_param(RETENTION_PARAM)
        if value in (None, False, ""):
            return DEFAULT_RETENTION_DAYS
        try:
            return int(value)
        except ValueError:
            _logger.warning(
                "System parameter %s is not a number (%r): keeping events %s days",
                RETENTION_PARAM,
                value,
                DEFAULT_RETENTION_DAYS,
            )
            return DEFAULT_RETENTION_DAYS
