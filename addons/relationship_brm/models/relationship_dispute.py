from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .relationship_dispute_sla import DISPUTE_TYPES, PRIORITIES

SLA_STATES = [
    ("none", "No SLA"),
    ("ok", "On Track"),
    ("at_risk", "At Risk"),
    ("breached", "Breached"),
    ("met", "Met"),
]
# The documents a dispute may be about, all of its partner.
DOCUMENT_FIELDS = ("move_id", "sale_order_id", "purchase_order_id", "picking_id")
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
    _inherit = ["portal.mixin", "mail.thread.cc", "mail.activity.mixin"]
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
        string="Stage",
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
    team_id = fields.Many2one(
        "crm.team", string="Team", tracking=True, check_company=True
    )
    agreement_id = fields.Many2one(
        "relationship.agreement",
        string="Agreement",
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
        string="Purchase Order",
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
    date_first_response = fields.Datetime(string="First Response On", copy=False)
    date_closed = fields.Datetime(string="Closed On", copy=False, index=True)
    sla_id = fields.Many2one(
        "relationship.dispute.sla", string="SLA Policy", copy=False, check_company=True
    )
    date_response_due = fields.Datetime(string="Response Due", copy=False)
    date_resolution_due = fields.Datetime(string="Resolution Due", copy=False)
    sla_state = fields.Selection(
        SLA_STATES,
        string="SLA Status",
        default="none",
        required=True,
        copy=False,
        index=True,
        tracking=True,
    )
    escalated = fields.Boolean(copy=False, tracking=True)
    resolution_type = fields.Selection(
        RESOLUTION_TYPES, tracking=True, copy=False, string="Resolution"
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

    def _compute_access_url(self):
        super()._compute_access_url()
        for dispute in self:
            dispute.access_url = f"/my/disputes/{dispute.id}"

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains(
        "partner_id", "move_id", "sale_order_id", "purchase_order_id", "picking_id"
    )
    def _check_documents_partner(self):
        for dispute in self:
            partner = dispute.partner_id.commercial_partner_id
            for fname in (
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

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
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
        closed = disputes.filtered("is_closed")
        if closed:
            closed.date_closed = fields.Datetime.now()
        return disputes

    def write(self, vals):
        if "stage_id" in vals:
            stage = self.env["relationship.dispute.stage"].browse(vals["stage_id"])
            now = fields.Datetime.now()
            if stage.is_closed:
                vals.setdefault("date_closed", now)
            else:
                vals["date_closed"] = False
        return super().write(vals)

    def _is_open(self):
        """Open disputes: not archived, not in a closed stage."""
        return self.filtered(lambda d: d.active and not d.is_closed)
