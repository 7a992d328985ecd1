import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.relationship_mgmt.engine.signals import INVOICE_AND_REFUND_TYPES
from odoo.addons.relationship_mgmt.tools import batch_runner

from .relationship_dispute_sla import DISPUTE_TYPES, PRIORITIES

_logger = logging.getLogger(__name__)

SLA_STATES = [
    ("none", "No SLA"),
    ("ok", "On Track"),
    ("at_risk", "At Risk"),
    ("breached", "Breached"),
    ("met", "Met"),
]
# The documents a dispute may be about, all of its partner.
DOCUMENT_FIELDS = ("move_id", "sale_order_id", "purchase_order_id", "picking_id")
AGE_BUCKETS = [
    ("week", "Less than a week"),
    ("month", "1 to 4 weeks"),
    ("quarter", "1 to 3 months"),
    ("older", "More than 3 months"),
]
# Upper bound (days, excluded) of each age bucket but the last.
AGE_LIMITS = [("week", 7), ("month", 30), ("quarter", 90)]
# Fields whose change re-selects the SLA policy and its due dates.
SLA_POLICY_FIELDS = ("dispute_type", "priority", "company_id", "date_open")
# Fields whose change re-judges the SLA status.
SLA_STATE_FIELDS = ("stage_id", "date_first_response", "date_closed", "active")
# Set by the resolution, the SLA computation and the first response only:
# refused in a user's create or write (over RPC too, where readonly does not
# apply), written by that code through _internal().
PROTECTED_FIELDS = frozenset(
    {
        "amount_resolved",
        "resolution_type",
        "credit_note_ids",
        "picking_ids",
        "sla_id",
        "date_response_due",
        "date_resolution_due",
        "date_response_at_risk",
        "date_resolution_at_risk",
        "sla_state",
        "escalated",
        "date_first_response",
        "date_closed",
        "date_sla_paused",
        "sla_paused_hours",
    }
)
# The moments planned from a dispute's SLA policy.
SLA_DATE_FIELDS = (
    "date_response_due",
    "date_resolution_due",
    "date_response_at_risk",
    "date_resolution_at_risk",
)
RESOLUTION_TYPES = [
    ("credit_note", "Credit Note"),
    ("replacement", "Replacement Delivery"),
    ("return", "Return"),
    ("discount", "Discount on Next Order"),
    ("rejection", "Rejected"),
]


class RelationshipDispute(models.Model):
    """A disagreement with a business partner about documents of the ledger
    or the warehouse: an invoice (or some of its lines), an order, a delivery.
    Its resolution changes those documents for real (credit note, return,
    replacement, discount on the next order) and is recorded here."""

    _name = "relationship.dispute"
    _description = "Business Dispute"
    _inherit = [
        "portal.mixin",
        "mail.thread.cc",
        "mail.activity.mixin",
        "relationship.input.check",
    ]
    _order = "priority desc, date_open desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["name", "reference"]
    _primary_email = "email_from"

    name = fields.Char(string="Subject", required=True, tracking=True)
    reference = fields.Char(
        readonly=True, copy=False, default="/", index="trigram", tracking=True
    )
    active = fields.Boolean(default=True)
    partner_id = fields.Many2one(
        "res.partner",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        help="The commercial entity the dispute is with.",
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True
    )
    email_from = fields.Char(
        string="Email", help="Address the dispute came from, when by email."
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        compute="_compute_currency_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    dispute_type = fields.Selection(
        DISPUTE_TYPES, string="Type", required=True, default="billing", tracking=True
    )
    priority = fields.Selection(
        PRIORITIES, required=True, default="1", index=True, tracking=True
    )
    stage_id = fields.Many2one(
        "relationship.dispute.stage",
        required=True,
        index=True,
        tracking=True,
        copy=False,
        ondelete="restrict",
        default=lambda self: self._default_stage_id(),
        group_expand="_read_group_expand_stage_ids",
    )
    stage_kind = fields.Selection(related="stage_id.kind", store=True, index=True)
    is_closed = fields.Boolean(related="stage_id.is_closed", store=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        default=lambda self: self.env.user,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    team_id = fields.Many2one("crm.team", tracking=True, check_company=True)
    agreement_id = fields.Many2one(
        "relationship.agreement",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('partner_id', '=', commercial_partner_id)]",
    )
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', commercial_partner_id), "
        "('move_type', 'in', ('out_invoice', 'in_invoice', "
        "'out_refund', 'in_refund'))]",
    )
    move_line_ids = fields.Many2many(
        "account.move.line",
        "relationship_dispute_move_line_rel",
        "dispute_id",
        "line_id",
        string="Disputed Invoice Lines",
        domain="[('move_id', '=', move_id), ('display_type', '=', 'product')]",
        help="The lines of the invoice the dispute is about; empty: the whole invoice.",
    )
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Sales Order",
        index="btree_not_null",
        tracking=True,
        check_company=True,
    )
    purchase_order_id = fields.Many2one(
        "purchase.order",
        index="btree_not_null",
        tracking=True,
        check_company=True,
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery / Receipt",
        index="btree_not_null",
        tracking=True,
        check_company=True,
    )
    amount_disputed = fields.Monetary(
        string="Disputed Amount", tracking=True, currency_field="currency_id"
    )
    amount_resolved = fields.Monetary(
        string="Resolved Amount",
        tracking=True,
        currency_field="currency_id",
        copy=False,
        help="Amount granted by the resolution (credit note, discount).",
        readonly=True,
    )
    description = fields.Html()
    date_open = fields.Datetime(
        string="Opened On", required=True, default=fields.Datetime.now, copy=False
    )
    date_deadline = fields.Date(
        string="Deadline",
        tracking=True,
        help="Defaults to the SLA resolution due date.",
    )
    date_first_response = fields.Datetime(
        string="First Response On", copy=False, readonly=True
    )
    date_sla_paused = fields.Datetime(
        string="SLA Paused Since",
        copy=False,
        readonly=True,
        help="Set while the dispute sits in a stage that pauses the SLA clock.",
    )
    sla_paused_hours = fields.Float(
        string="SLA Paused (hours)",
        copy=False,
        readonly=True,
        digits=(16, 2),
        help="Time spent in stages that pause the SLA (working hours for a "
        "policy counting them): the due dates move by it.",
    )
    date_closed = fields.Datetime(
        string="Closed On", copy=False, index=True, readonly=True
    )
    sla_id = fields.Many2one(
        "relationship.dispute.sla",
        string="SLA Policy",
        copy=False,
        check_company=True,
        readonly=True,
    )
    sla_hours_basis = fields.Selection(
        related="sla_id.hours_basis", string="SLA Hours Counted"
    )
    sla_calendar_id = fields.Many2one(
        "resource.calendar",
        string="SLA Working Hours",
        compute="_compute_sla_calendar_id",
        help="The working schedule the SLA policy counts in.",
    )
    date_response_due = fields.Datetime(
        string="Response Due",
        copy=False,
        readonly=True,
        help="The first response is late after this moment: the SLA policy's "
        "response time from the opening, in its working hours when it counts "
        "them, moved by the time paused.",
    )
    date_resolution_due = fields.Datetime(
        string="Resolution Due",
        copy=False,
        readonly=True,
        help="The resolution is late after this moment: the SLA policy's "
        "resolution time from the opening, in its working hours when it counts "
        "them, moved by the time paused.",
    )
    date_response_at_risk = fields.Datetime(
        string="Response At Risk From",
        copy=False,
        readonly=True,
        help="The moment the at-risk share of the response time has elapsed.",
    )
    date_resolution_at_risk = fields.Datetime(
        string="Resolution At Risk From",
        copy=False,
        readonly=True,
        help="The moment the at-risk share of the resolution time has elapsed.",
    )
    sla_state = fields.Selection(
        SLA_STATES,
        string="SLA Status",
        default="none",
        required=True,
        copy=False,
        index=True,
        tracking=True,
        readonly=True,
    )
    escalated = fields.Boolean(
        copy=False,
        tracking=True,
        help="Set when the SLA was breached: the dispute was moved to the "
        "escalated stage and its owner's manager was asked to follow it up.",
        readonly=True,
    )
    age_bucket = fields.Selection(
        AGE_BUCKETS,
        string="Age",
        readonly=True,
        copy=False,
        help="Time since opening (until closing for closed disputes); kept "
        "current by the SLA cron.",
    )
    response_time_hours = fields.Float(
        string="Hours to First Response",
        compute="_compute_times",
        store=True,
        aggregator="avg",
        digits=(16, 2),
        help="From opening to the first response; 0 until responded (filter "
        "on Responded to average it).",
    )
    resolution_time_hours = fields.Float(
        string="Hours to Resolution",
        compute="_compute_times",
        store=True,
        aggregator="avg",
        digits=(16, 2),
        help="From opening to closing; 0 while open (filter on Closed to average it).",
    )
    sla_success = fields.Float(
        string="SLA Compliance (%)",
        compute="_compute_sla_success",
        store=True,
        aggregator="avg",
        digits=(5, 1),
        help="100 when the SLA was met, 0 otherwise: its average over the "
        "disputes whose SLA is decided (met or breached) is the SLA compliance.",
    )
    resolution_type = fields.Selection(
        RESOLUTION_TYPES, tracking=True, copy=False, string="Resolution", readonly=True
    )
    resolution_note = fields.Text(copy=False)
    credit_note_ids = fields.Many2many(
        "account.move",
        "relationship_dispute_credit_note_rel",
        "dispute_id",
        "move_id",
        string="Credit Notes",
        copy=False,
        readonly=True,
    )
    picking_ids = fields.Many2many(
        "stock.picking",
        "relationship_dispute_picking_rel",
        "dispute_id",
        "picking_id",
        string="Returns / Replacements",
        copy=False,
        readonly=True,
    )
    credit_note_count = fields.Integer(compute="_compute_document_counts")
    picking_count = fields.Integer(compute="_compute_document_counts")

    _sql_constraints = [
        (
            "amount_disputed_positive",
            "CHECK (amount_disputed IS NULL OR amount_disputed >= 0)",
            "The disputed amount cannot be negative.",
        ),
        (
            "amount_resolved_positive",
            "CHECK (amount_resolved IS NULL OR amount_resolved >= 0)",
            "The resolved amount cannot be negative.",
        ),
    ]

    # ------------------------------------------------------------------
    # Defaults and computes
    # ------------------------------------------------------------------

    @api.model
    def _default_stage_id(self):
        return self.env["relationship.dispute.stage"].search([], limit=1)

    @api.model
    def _read_group_expand_stage_ids(self, stages, domain):
        return stages.search([], order=stages._order)

    @api.depends("company_id")
    def _compute_currency_id(self):
        for dispute in self:
            if not dispute.currency_id:
                dispute.currency_id = (
                    dispute.company_id.currency_id or self.env.company.currency_id
                )

    @api.depends("name", "reference")
    def _compute_display_name(self):
        for dispute in self:
            if dispute.reference and dispute.reference != "/":
                dispute.display_name = f"{dispute.reference} {dispute.name}"
            else:
                dispute.display_name = dispute.name or ""

    @api.depends("date_open", "date_first_response", "date_closed")
    def _compute_times(self):
        for dispute in self:
            dispute.response_time_hours = dispute._hours_since_open(
                dispute.date_first_response
            )
            dispute.resolution_time_hours = dispute._hours_since_open(
                dispute.date_closed
            )

    def _hours_since_open(self, moment):
        if not moment or not self.date_open:
            return 0.0
        return max((moment - self.date_open).total_seconds() / 3600.0, 0.0)

    @api.depends(
        "sla_id.hours_basis",
        "sla_id.calendar_id",
        "sla_id.company_id.dispute_sla_calendar_id",
    )
    def _compute_sla_calendar_id(self):
        for dispute in self:
            dispute.sla_calendar_id = (
                dispute.sla_id._working_calendar() if dispute.sla_id else False
            )

    @api.depends("sla_state")
    def _compute_sla_success(self):
        for dispute in self:
            dispute.sla_success = 100.0 if dispute.sla_state == "met" else 0.0

    @api.depends("credit_note_ids", "picking_ids")
    def _compute_document_counts(self):
        for dispute in self:
            dispute.credit_note_count = len(dispute.credit_note_ids)
            dispute.picking_count = len(dispute.picking_ids)

    def _compute_access_url(self):  # pylint: disable=missing-return
        super()._compute_access_url()
        for dispute in self:
            dispute.access_url = f"/my/disputes/{dispute.id}"

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains(
        "partner_id",
        "agreement_id",
        "move_id",
        "sale_order_id",
        "purchase_order_id",
        "picking_id",
    )
    def _check_documents_partner(self):
        for dispute in self:
            partner = dispute.partner_id.commercial_partner_id
            for fname in (
                "agreement_id",
                "move_id",
                "sale_order_id",
                "purchase_order_id",
                "picking_id",
            ):
                document = dispute[fname]
                if document and document.partner_id.commercial_partner_id != partner:
                    raise ValidationError(
                        self.env._(
                            "Dispute %(dispute)s is with %(partner)s, but %(document)s "
                            "belongs to %(other)s.",
                            dispute=dispute.display_name,
                            partner=partner.display_name,
                            document=document.display_name,
                            other=document.partner_id.commercial_partner_id.display_name,
                        )
                    )

    @api.constrains("move_id", "move_line_ids")
    def _check_move_lines(self):
        for dispute in self:
            foreign = dispute.move_line_ids.filtered(
                lambda line, move=dispute.move_id: line.move_id != move
            )
            if foreign:
                raise ValidationError(
                    self.env._(
                        "Dispute %(dispute)s: the disputed lines must belong to its "
                        "invoice %(invoice)s.",
                        dispute=dispute.display_name,
                        invoice=dispute.move_id.display_name or "-",
                    )
                )

    @api.constrains("amount_disputed", "move_id", "move_line_ids", "currency_id")
    def _check_amount_disputed(self):
        for dispute in self:
            if dispute.amount_disputed < 0:
                raise ValidationError(
                    self.env._(
                        "Dispute %(dispute)s: the disputed amount cannot be negative.",
                        dispute=dispute.display_name,
                    )
                )
            ceiling, document = dispute._document_amount()
            if ceiling is not None and (
                dispute.currency_id.compare_amounts(dispute.amount_disputed, ceiling)
                > 0
            ):
                raise ValidationError(
                    self.env._(
                        "Dispute %(dispute)s: the disputed amount %(amount)s is more "
                        "than the %(ceiling)s of %(document)s.",
                        dispute=dispute.display_name,
                        amount=dispute.currency_id.format(dispute.amount_disputed),
                        ceiling=dispute.currency_id.format(ceiling),
                        document=document,
                    )
                )

    @api.constrains("date_open", "date_first_response", "date_closed")
    def _check_dates(self):
        for dispute in self:
            for fname in ("date_first_response", "date_closed"):
                if dispute[fname] and dispute[fname] < dispute.date_open:
                    raise ValidationError(
                        self.env._(
                            "Dispute %(dispute)s: %(field)s (%(date)s) cannot be "
                            "before it was opened (%(open)s).",
                            dispute=dispute.display_name,
                            field=self._fields[fname].get_description(self.env)[
                                "string"
                            ],
                            date=dispute[fname],
                            open=dispute.date_open,
                        )
                    )

    def _document_amount(self):
        """The most a dispute can be about: the disputed invoice lines, else
        the invoice, else the order, in the dispute's currency; ``(None, '')``
        when it is tied to no priced document."""
        self.ensure_one()
        if self.move_line_ids:
            total = sum(self.move_line_ids.mapped("price_total"))
            currency = self.move_id.currency_id
            label = self.env._("the disputed lines of %s", self.move_id.display_name)
        elif self.move_id:
            total, currency = self.move_id.amount_total, self.move_id.currency_id
            label = self.move_id.display_name
        elif self.sale_order_id or self.purchase_order_id:
            order = self.sale_order_id or self.purchase_order_id
            total, currency = order.amount_total, order.currency_id
            label = order.display_name
        else:
            return None, ""
        if currency != self.currency_id:
            total = currency._convert(
                total,
                self.currency_id,
                self.company_id,
                fields.Date.context_today(self),
            )
        return total, label

    # ------------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------------

    @api.model
    def _check_amount_values(self, vals):
        """Refuse negative amounts before the database does (the SQL checks
        are the last line)."""
        for fname in ("amount_disputed", "amount_resolved"):
            value = vals.get(fname) or 0.0
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValidationError(
                    self.env._(
                        "The %(field)s of a dispute must be a number, got %(value)r.",
                        field=self._fields[fname].get_description(self.env)["string"],
                        value=value,
                    )
                )
            if value < 0:
                raise ValidationError(
                    self.env._(
                        "The %(field)s of a dispute cannot be negative (%(value)s).",
                        field=self._fields[fname].get_description(self.env)["string"],
                        value=vals[fname],
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        # The create right first: the reference below reads the sequence,
        # whose refusal would otherwise hide the real reason.
        self.check_access("create")
        for vals in vals_list:
            self._check_protected_fields(vals)
            self._check_amount_values(vals)
            if vals.get("reference", "/") == "/":
                company = self.env["res.company"].browse(
                    vals.get("company_id") or self.env.company.id
                )
                vals["reference"] = (
                    self.env["ir.sequence"]
                    .with_company(company)
                    .next_by_code("relationship.dispute")
                    or "/"
                )
        disputes = super().create(vals_list)
        disputes.filtered("is_closed")._check_closed_with_resolution()
        closed = disputes.filtered(lambda d: d.is_closed and not d.date_closed)
        if closed:
            closed._internal().date_closed = fields.Datetime.now()
        # The deadline defaults to the SLA resolution date unless given.
        disputes._apply_sla(
            set_deadline=disputes.filtered(lambda d: not d.date_deadline)
        )
        disputes._update_age_bucket()
        return disputes

    def write(self, vals):
        self._check_protected_fields(vals)
        self._check_amount_values(vals)
        responded = self.browse()
        if "stage_id" in vals:
            stage = self.env["relationship.dispute.stage"].browse(vals["stage_id"])
            now = fields.Datetime.now()
            if stage.is_closed:
                vals.setdefault("date_closed", now)
            elif any(self.mapped("date_closed")):
                vals["date_closed"] = False
            # Leaving a stage of kind New is the first response, unless the
            # SLA escalation moved the dispute.
            if stage.kind != "new" and not self.env.context.get(
                "relationship_dispute_escalation"
            ):
                responded = self.filtered(
                    lambda d: d.stage_kind == "new" and not d.date_first_response
                )
        old_deadlines = {}
        if any(fname in vals for fname in SLA_POLICY_FIELDS):
            old_deadlines = {
                d.id: d.date_resolution_due and d.date_resolution_due.date()
                for d in self
            }
        pausing = resuming = self.browse()
        if "stage_id" in vals:
            if stage.sla_paused and not stage.is_closed:
                pausing = self.filtered(lambda d: not d.date_sla_paused)
            else:
                resuming = self.filtered("date_sla_paused")
        result = super().write(vals)
        if pausing:
            pausing._internal().write({"date_sla_paused": fields.Datetime.now()})
        if resuming:
            resuming._resume_sla()
        if "stage_id" in vals or "resolution_type" in vals:
            self.filtered("is_closed")._check_closed_with_resolution()
        if responded and "date_first_response" not in vals:
            responded._internal().write({"date_first_response": fields.Datetime.now()})
        if old_deadlines:
            # A deadline left at the former SLA default follows the new one.
            self._apply_sla(
                set_deadline=self.filtered(
                    lambda d: (
                        not d.date_deadline
                        or d.date_deadline == old_deadlines.get(d.id)
                    )
                )
            )
        elif any(fname in vals for fname in SLA_STATE_FIELDS):
            self._update_sla_state()
        if "date_closed" in vals or "date_open" in vals:
            self._update_age_bucket()
        return result

    def _internal(self):
        """These disputes, for the code that sets the protected fields."""
        return self.with_context(relationship_dispute_internal=True)

    @api.model
    def _check_protected_fields(self, vals):
        """Refuse a user's values for the fields only the resolution, the SLA
        computation and the first response set (see PROTECTED_FIELDS)."""
        if self.env.su or self.env.context.get("relationship_dispute_internal"):
            return
        forged = sorted(PROTECTED_FIELDS.intersection(vals))
        if forged:
            raise UserError(
                self.env._(
                    "%(fields)s of a dispute are set by its resolution and its "
                    "SLA, not by hand: use Resolve or Reject.",
                    fields=", ".join(
                        self._fields[fname].get_description(self.env)["string"]
                        for fname in forged
                    ),
                )
            )

    def _check_closed_with_resolution(self):
        """A dispute is closed by its resolution (Resolve / Reject, which
        record what was granted or why not), never by moving it to a closed
        stage alone: that would drop it from the open disputes without a
        trace of how it ended."""
        unresolved = self.filtered(lambda d: not d.resolution_type)
        if unresolved:
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s cannot be closed without a resolution: "
                    "use Resolve (credit note, return, replacement, discount) or "
                    "Reject (with the reason).",
                    dispute=unresolved[0].display_name,
                )
            )

    def _message_post_after_hook(self, message, msg_values):
        # A message to the followers (not an internal note) written by an
        # internal user is a response to the partner.
        if (
            message.message_type == "comment"
            and message.subtype_id == self.env.ref("mail.mt_comment")
            and any(not user.share for user in message.author_id.user_ids)
        ):
            waiting = self.filtered(lambda d: not d.date_first_response)
            if waiting:
                waiting._internal().write({"date_first_response": message.date})
        return super()._message_post_after_hook(message, msg_values)

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A dispute from an email to the disputes alias: the sender's
        commercial partner, the subject as the name, the body as the
        description. The alias accepts known partners only (the gateway
        bounces others); should it be opened to everyone, an unknown sender
        gets a contact created from its address, as the partner is required.
        No owner: the gateway user is not the one to handle it."""
        values = dict(custom_values or {})
        author = self.env["res.partner"].browse(msg_dict.get("author_id") or [])
        if not author and msg_dict.get("email_from"):
            author = self._mail_find_partner_from_emails(
                [msg_dict["email_from"]], force_create=True
            )[0]
        if not author:
            raise UserError(
                self.env._("A dispute email needs a sender address to link it to.")
            )
        partner = author.commercial_partner_id
        values.setdefault("partner_id", partner.id)
        values.setdefault("name", msg_dict.get("subject") or self.env._("No Subject"))
        values.setdefault("description", msg_dict.get("body"))
        values.setdefault("user_id", False)
        if not values.get("company_id") and partner.company_id:
            values["company_id"] = partner.company_id.id
        return super(
            RelationshipDispute, self.with_context(default_user_id=False)
        ).message_new(msg_dict, custom_values=values)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_credit_notes(self):
        self.ensure_one()
        return self._action_view_documents(
            "account.move", self.credit_note_ids, self.env._("Credit Notes")
        )

    def action_view_pickings(self):
        self.ensure_one()
        return self._action_view_documents(
            "stock.picking", self.picking_ids, self.env._("Returns / Replacements")
        )

    def action_view_document(self):
        """Open the document the dispute is about (from the smart button)."""
        self.ensure_one()
        document = (
            self.move_id
            or self.sale_order_id
            or self.purchase_order_id
            or self.picking_id
        )
        if not document:
            return False
        return self._action_view_documents(
            document._name, document, document.display_name
        )

    def _action_view_documents(self, model, records, name):
        action = {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "domain": [("id", "in", records.ids)],
            "views": [(False, "list"), (False, "form")],
            "context": {"create": False},
        }
        if len(records) == 1:
            action.update(res_id=records.id, views=[(False, "form")])
        return action

    @api.model
    def _action_new_billing_dispute(self, document, field):
        """The "Open Dispute" window of an invoice or an order: a billing
        dispute about the whole document, which ``field`` (move_id,
        sale_order_id, purchase_order_id) links to."""
        document.ensure_one()
        return self._action_new_dispute(
            document.partner_id,
            document.company_id,
            agreement_id=document.agreement_id.id,
            currency_id=document.currency_id.id,
            amount_disputed=document.amount_total,
            dispute_type="billing",
            name=self.env._("Dispute on %(document)s", document=document.name),
            **{field: document.id},
        )

    @api.model
    def _action_new_dispute(self, partner, company, **defaults):
        """The window opening a new dispute form prefilled with
        ``defaults`` (field names without ``default_``), the "Open Dispute"
        button of the documents and the partner form."""
        self.check_access("create")
        context = {
            "default_partner_id": partner.commercial_partner_id.id,
            "default_company_id": company.id,
        }
        context.update({f"default_{key}": value for key, value in defaults.items()})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open Dispute"),
            "res_model": self._name,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": context,
        }

    @api.model
    def _create_for_invoices(self, invoices):
        """One dispute per invoice of ``invoices`` that has no open dispute
        yet (each in the invoice's company, for its full amount); the server
        action "Open Dispute" of the invoice list. Returns the new disputes."""
        not_invoices = invoices.filtered(
            lambda m: m.move_type not in INVOICE_AND_REFUND_TYPES
        )
        if not_invoices:
            raise UserError(
                self.env._(
                    "Disputes are opened on invoices, bills and refunds only, not "
                    "on %(entries)s.",
                    entries=", ".join(not_invoices.mapped("display_name")),
                )
            )
        drafts = invoices.filtered(lambda m: m.state != "posted")
        if drafts:
            raise UserError(
                self.env._(
                    "Disputes are opened on posted invoices only, not on %(invoices)s.",
                    invoices=", ".join(drafts.mapped("display_name")),
                )
            )
        disputed = self.search(
            [("move_id", "in", invoices.ids), ("is_closed", "=", False)]
        ).move_id
        vals_list = [
            {
                "name": self.env._(
                    "Dispute on %(invoice)s", invoice=invoice.display_name
                ),
                "partner_id": invoice.commercial_partner_id.id,
                "company_id": invoice.company_id.id,
                "currency_id": invoice.currency_id.id,
                "move_id": invoice.id,
                "agreement_id": invoice.agreement_id.id,
                "amount_disputed": invoice.amount_total,
                "dispute_type": "billing",
            }
            for invoice in invoices - disputed
        ]
        return self.create(vals_list)

    # ------------------------------------------------------------------
    # SLA
    # ------------------------------------------------------------------

    def _apply_sla(self, set_deadline=None):
        """Select the SLA policy of each dispute (one search), set its due
        dates and status; ``set_deadline`` (disputes) also get the deadline
        set to the resolution due date."""
        if not self:
            return
        Sla = self.env["relationship.dispute.sla"]
        policy_map = Sla._policy_map(self.company_id.ids)
        for dispute in self:
            policy = Sla._pick_policy(
                policy_map,
                dispute.company_id.id,
                dispute.dispute_type,
                dispute.priority,
            )
            dispute._internal().update({"sla_id": policy.id})
        self._set_sla_dates(set_deadline=set_deadline)
        self._update_sla_state()

    def _set_sla_dates(self, set_deadline=None):
        """Plan the due dates and at-risk moments of these disputes from
        their opening under their policy (its time counted in its hours, the
        time paused added), all disputes of a calendar planned together."""
        set_deadline = set_deadline or self.browse()
        targets = []
        for dispute in self.filtered("sla_id"):
            policy = dispute.sla_id
            share = policy.at_risk_percent / 100.0
            for fname, hours in (
                ("date_response_due", policy.response_hours),
                ("date_resolution_due", policy.resolution_hours),
                ("date_response_at_risk", policy.response_hours * share),
                ("date_resolution_at_risk", policy.resolution_hours * share),
            ):
                targets.append(
                    (dispute, fname, policy, hours + dispute.sla_paused_hours)
                )
        planned = self.env["relationship.dispute.sla"]._plan(
            [(policy, d.date_open, hours) for d, _f, policy, hours in targets]
        )
        values = defaultdict(dict)
        for dispute in self:
            values[dispute] = dict.fromkeys(SLA_DATE_FIELDS, False)
        for (dispute, fname, _policy, _hours), moment in zip(
            targets, planned, strict=True
        ):
            values[dispute][fname] = moment
        for dispute, vals in values.items():
            if dispute in set_deadline and vals["date_resolution_due"]:
                vals["date_deadline"] = vals["date_resolution_due"].date()
            # Plain assignment: the values differ per dispute and the ORM
            # flushes them in one batched UPDATE.
            dispute._internal().update(vals)

    def _resume_sla(self):
        """Leaving a stage that pauses the SLA: the due dates and at-risk
        moments move by the time spent there (in the policy's hours), which
        adds up in sla_paused_hours."""
        now = fields.Datetime.now()
        Sla = self.env["relationship.dispute.sla"]
        paused = Sla._hours_between(
            [(dispute.sla_id, dispute.date_sla_paused, now) for dispute in self]
        )
        shifts = [
            (dispute, fname, hours)
            for dispute, hours in zip(self, paused, strict=True)
            for fname in SLA_DATE_FIELDS
            if dispute.sla_id and dispute[fname] and hours > 0
        ]
        moved = Sla._plan(
            [
                (dispute.sla_id, dispute[fname], hours)
                for dispute, fname, hours in shifts
            ]
        )
        values = {
            dispute: {
                "date_sla_paused": False,
                "sla_paused_hours": dispute.sla_paused_hours + hours,
            }
            for dispute, hours in zip(self, paused, strict=True)
        }
        for (dispute, fname, _hours), moment in zip(shifts, moved, strict=True):
            values[dispute][fname] = moment
        for dispute, vals in values.items():
            dispute._internal().update(vals)

    def _update_age_bucket(self):
        """Set the age bucket of these disputes now (one write per bucket
        that changed); the cron keeps the open ones current."""
        self._update_judged("age_bucket", age_bucket_sql(fields.Datetime.now()))

    def _update_sla_state(self):
        """Re-judge the SLA status of these disputes now (one write per
        status that changed). Escalation is left to the cron."""
        self._update_judged("sla_state", sla_state_sql(fields.Datetime.now()))

    def _update_judged(self, fname, expression):
        """Write ``fname`` of these disputes from ``expression`` (SQL on the
        dispute ``d``, the one the cron uses), read in one query; one write
        per value that changed."""
        if not self:
            return
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                """
                SELECT d.id, %(expression)s
                  FROM relationship_dispute d
                 WHERE d.id = ANY(%(ids)s)
                   AND %(expression)s IS DISTINCT FROM d.%(fname)s
                """,
                expression=expression,
                ids=self.ids,
                fname=SQL.identifier(fname),
            )
        )
        by_value = defaultdict(list)
        for dispute_id, value in self.env.cr.fetchall():
            by_value[value].append(dispute_id)
        for value, ids in by_value.items():
            self.browse(ids)._internal().write({fname: value})

    @api.model
    def _cron_update_sla(self, companies=None):
        """Every 15 minutes: the SLA status and age of every open dispute of
        ``companies`` (default: all), in one UPDATE each, then the escalation
        of the disputes newly breached (not escalated yet). Running it again
        changes and notifies nothing; a company whose SLA update runs in
        another worker is skipped (its transaction-level lock)."""
        result, __ = self._update_sla_locked(
            self.env["res.company"].search([]) if companies is None else companies
        )
        return result

    @api.model
    def _update_sla_locked(self, companies):
        """The SLA update of the ``companies`` whose lock this transaction
        takes. Returns ``({"changed": n, "escalated": n}, companies run)``."""
        cr = self.env.cr
        locked = companies.filtered(
            lambda company: batch_runner.try_lock(cr, "dispute_sla", company.id)
        )
        if locked != companies:
            _logger.info(
                "Dispute SLA update of %s already running: skipped",
                ", ".join((companies - locked).mapped("name")),
            )
        if not locked:
            return {"changed": 0, "escalated": 0}, locked
        self.env.flush_all()
        now = fields.Datetime.now()
        cr.execute(
            SQL(
                """
                WITH judged AS (
                    SELECT d.id, %(sla_state)s AS sla_state
                      FROM relationship_dispute d
                      JOIN relationship_dispute_sla sla ON sla.id = d.sla_id
                     WHERE d.active AND NOT COALESCE(d.is_closed, FALSE)
                       AND d.company_id = ANY(%(companies)s)
                       AND d.date_response_due IS NOT NULL
                       AND d.date_resolution_due IS NOT NULL
                       AND d.date_sla_paused IS NULL
                )
                UPDATE relationship_dispute d
                   SET sla_state = judged.sla_state, write_date = %(now)s
                  FROM judged
                 WHERE judged.id = d.id AND d.sla_state != judged.sla_state
                """,
                sla_state=sla_state_sql(now),
                now=now,
                companies=locked.ids,
            )
        )
        changed = cr.rowcount
        cr.execute(
            SQL(
                """
                UPDATE relationship_dispute d
                   SET age_bucket = bucket.age_bucket
                  FROM (SELECT d.id, %(age_bucket)s AS age_bucket
                          FROM relationship_dispute d
                         WHERE d.active AND NOT COALESCE(d.is_closed, FALSE)
                           AND d.company_id = ANY(%(companies)s)) bucket
                 WHERE bucket.id = d.id
                   AND d.age_bucket IS DISTINCT FROM bucket.age_bucket
                """,
                age_bucket=age_bucket_sql(now),
                companies=locked.ids,
            )
        )
        self.invalidate_model(["sla_state", "age_bucket", "write_date"])
        breached = self.search(
            [
                ("sla_state", "=", "breached"),
                ("escalated", "=", False),
                ("is_closed", "=", False),
                ("company_id", "in", locked.ids),
            ]
        )
        breached._escalate()
        _logger.info(
            "Dispute SLA: %s statuses changed, %s disputes escalated",
            changed,
            len(breached),
        )
        return {"changed": changed, "escalated": len(breached)}, locked

    def _escalate(self):
        """Escalate newly breached disputes, once: flag them, move the open
        ones to the first stage of kind Escalated, schedule a follow-up
        activity for the owner's manager and log a note."""
        if not self:
            return
        stage = self.env["relationship.dispute.stage"].search(
            [("kind", "=", "escalated")], limit=1
        )
        # No tracking messages (one per dispute): the note below tells it.
        escalating = self._internal().with_context(
            relationship_dispute_escalation=True, tracking_disable=True
        )
        escalating.write({"escalated": True})
        if stage:
            escalating.filtered(
                lambda d: not d.is_closed and d.stage_id != stage
            ).write({"stage_id": stage.id})
        managers = self._escalation_managers()
        by_manager = defaultdict(list)
        for dispute in self:
            by_manager[managers[dispute.id]].append(dispute.id)
        today = fields.Date.context_today(self)
        # No assignment email per activity (one rendered mail each): the
        # managers find them in their activities, the note is on the dispute.
        quiet = self.with_context(mail_activity_quick_update=True)
        for manager, ids in by_manager.items():
            quiet.browse(ids).activity_schedule(
                "relationship_brm.mail_activity_type_dispute_escalation",
                date_deadline=today,
                user_id=manager.id,
            )
        self._message_log_batch(
            bodies={
                dispute.id: Markup("<p>%s</p>")
                % self.env._(
                    "SLA breached (response due %(response)s, resolution due "
                    "%(resolution)s): dispute escalated to %(manager)s.",
                    response=dispute.date_response_due,
                    resolution=dispute.date_resolution_due,
                    manager=managers[dispute.id].name,
                )
                for dispute in self
            }
        )
        self._on_sla_breached(self)

    def _escalation_managers(self):
        """``{dispute id: user}`` following an escalation: the owner's
        manager in Employees when that module is installed, else the leader
        of the dispute's sales team, else the first Relationships manager of
        the company, else the owner (or the user running the cron)."""
        managers_group = self.env.ref("relationship_mgmt.group_relationship_manager")
        # sudo: the cron and users alike may read who the managers are.
        members = managers_group.sudo().users
        group_users = members.filtered(lambda u: u.active and not u.share).sorted("id")
        result = {}
        for dispute in self:
            owner = dispute.user_id
            candidates = []
            if "employee_id" in owner._fields:
                candidates.append(owner.employee_id.parent_id.user_id)
            candidates.append(dispute.team_id.user_id)
            candidates.append(
                group_users.filtered(
                    lambda u, company=dispute.company_id: company in u.company_ids
                )[:1]
            )
            manager = next(
                (user for user in candidates if user and user != owner), owner
            )
            result[dispute.id] = manager or self.env.user
        return result

    def _on_sla_breached(self, disputes):
        """Record one relationship event per newly breached dispute, for the
        automation rules watching them."""
        if not disputes:
            return
        self.env["relationship.event"]._emit(
            [
                {
                    "event_type": "dispute_sla_breached",
                    "partner_id": dispute.commercial_partner_id.id,
                    "company_id": dispute.company_id.id,
                    "res_model": self._name,
                    "res_id": dispute.id,
                    "description": self.env._(
                        "SLA breached on dispute %(dispute)s",
                        dispute=dispute.display_name,
                    ),
                    "new_value": "breached",
                }
                for dispute in disputes
            ]
        )

    # ------------------------------------------------------------------
    # Scores and obligations (one query each for many partners)
    # ------------------------------------------------------------------

    @api.model
    def _open_dispute_domain(self, company):
        return [
            ("company_id", "=", company.id),
            ("is_closed", "=", False),
            ("active", "=", True),
        ]

    @api.model
    def _open_counts(self, company, partner_ids):
        """``{commercial partner id: open disputes}`` in ``company``.

        The company's open disputes are grouped without a partner filter and
        picked in Python: a scoring run asks for tens of thousands of
        partners, a list slower to send than the few open disputes."""
        wanted = set(partner_ids)
        groups = self.sudo()._read_group(  # sudo: scores are computed for all
            self._open_dispute_domain(company),
            ["commercial_partner_id"],
            ["__count"],
        )
        return {partner.id: count for partner, count in groups if partner.id in wanted}

    @api.model
    def _open_invoice_ids(self, company, partner_ids):
        """Ids of the invoices of ``partner_ids`` under an open dispute (picked
        in Python, as in ``_open_counts()``)."""
        wanted = set(partner_ids)
        groups = self.sudo()._read_group(  # sudo: scores are computed for all
            [*self._open_dispute_domain(company), ("move_id", "!=", False)],
            ["commercial_partner_id", "move_id"],
        )
        return sorted({move.id for partner, move in groups if partner.id in wanted})


def sla_state_sql(now):
    """The SLA status of the dispute ``d`` at ``now``, as SQL: the records
    (``_update_sla_state``) and the cron judge with it.

    None without a policy; breached when the first response (or closing, or
    ``now`` while waiting) came after its due date or the closing (``now``
    while open) after the resolution due date; met once closed otherwise; at
    risk while open from the at-risk moment of the pending target (the first
    response until there is one, then the resolution). The clock stands still
    while the SLA is paused. Due dates and at-risk moments are planned in the
    policy's hours when stored (``_set_sla_dates``), so comparing them with
    the clock is all working time needs here."""
    clock = SQL("COALESCE(d.date_sla_paused, %s)", now)
    closed = SQL("(COALESCE(d.is_closed, FALSE) AND d.date_closed IS NOT NULL)")
    end = SQL("(CASE WHEN %s THEN d.date_closed ELSE %s END)", closed, clock)
    at_risk = SQL(
        "(CASE WHEN d.date_first_response IS NULL THEN d.date_response_at_risk "
        "ELSE d.date_resolution_at_risk END)"
    )
    return SQL(
        """
        CASE WHEN d.sla_id IS NULL OR d.date_resolution_due IS NULL THEN 'none'
             WHEN COALESCE(d.date_first_response, %(end)s) > d.date_response_due
                  OR %(end)s > d.date_resolution_due THEN 'breached'
             WHEN %(closed)s THEN 'met'
             WHEN %(clock)s >= %(at_risk)s THEN 'at_risk'
             ELSE 'ok'
        END
        """,
        end=end,
        closed=closed,
        clock=clock,
        at_risk=at_risk,
    )


def age_bucket_sql(now):
    """The age bucket of the dispute ``d`` at ``now`` (its age until closed),
    as SQL from ``AGE_LIMITS``: the records and the cron bucket with it."""
    age = SQL("(COALESCE(d.date_closed, %s) - d.date_open)", now)
    return SQL(
        "CASE %s ELSE 'older' END",
        SQL(" ").join(
            SQL("WHEN %s < %s THEN %s", age, timedelta(days=limit), bucket)
            for bucket, limit in AGE_LIMITS
        ),
    )
