from collections import defaultdict

from odoo import Command, api, fields, models

from ..models.relationship_dispute import RESOLUTION_TYPES
from ..models.relationship_dispute_discount import DISCOUNT_TYPES


class RelationshipDisputeResolve(models.TransientModel):
    """Resolve a dispute in one step; the work is done by the dispute's
    public resolution methods, which XML-RPC clients call directly."""

    _name = "relationship.dispute.resolve"
    _description = "Resolve a Dispute"

    dispute_id = fields.Many2one("relationship.dispute", required=True, readonly=True)
    company_id = fields.Many2one(related="dispute_id.company_id")
    currency_id = fields.Many2one(related="dispute_id.currency_id")
    move_id = fields.Many2one(related="dispute_id.move_id")
    picking_id = fields.Many2one(related="dispute_id.picking_id")
    amount_remaining = fields.Monetary(related="dispute_id.amount_remaining")
    resolution_type = fields.Selection(RESOLUTION_TYPES, string="Resolution")
    amount = fields.Monetary(
        compute="_compute_amount",
        store=True,
        readonly=False,
        help="Amount to credit, taxes included; by default all that is still disputed.",
    )
    move_line_ids = fields.Many2many(
        "account.move.line",
        string="Lines to Credit",
        compute="_compute_move_line_ids",
        store=True,
        readonly=False,
        domain="[('move_id', '=', move_id), ('display_type', '=', 'product')]",
        help="Invoice lines the credit note is for; empty: the whole invoice.",
    )
    post_credit_note = fields.Boolean(
        default=True,
        help="Post the credit note and settle the invoice with it; otherwise it "
        "stays in draft for the accountant.",
    )
    line_ids = fields.One2many(
        "relationship.dispute.resolve.line",
        "wizard_id",
        string="Goods to Return",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
    )
    discount_type = fields.Selection(DISCOUNT_TYPES, default="amount")
    discount_percent = fields.Float(string="Discount (%)", digits=(5, 2))
    note = fields.Text(
        help="Why and how the dispute is resolved; the reason of a rejection.",
    )
    close = fields.Boolean(
        string="Close the Dispute",
        default=True,
        help="Move the dispute to the resolved stage; untick to resolve it in "
        "several steps (a credit note now, a return later).",
    )

    @api.depends("dispute_id", "resolution_type", "discount_type")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = wizard.dispute_id.amount_remaining

    @api.depends("dispute_id")
    def _compute_move_line_ids(self):
        for wizard in self:
            wizard.move_line_ids = wizard.dispute_id.move_line_ids

    @api.depends("dispute_id", "resolution_type")
    def _compute_line_ids(self):
        for wizard in self:
            dispute = wizard.dispute_id
            commands = [Command.clear()]
            if wizard.resolution_type in ("return", "replacement") and (
                dispute.picking_id.state == "done"
            ):
                returnable = defaultdict(float)
                for move, quantity in dispute._returnable_by_move().items():
                    returnable[move.product_id] += quantity
                defaults = dispute._default_return_quantities(
                    {product.id: quantity for product, quantity in returnable.items()}
                )
                commands += [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity_returnable": quantity,
                            "quantity": defaults.get(product.id, 0.0),
                        }
                    )
                    for product, quantity in returnable.items()
                ]
            wizard.line_ids = commands

    def _resolution_options(self):
        self.ensure_one()
        kind = self.resolution_type
        if kind == "rejection":
            return {"reason": self.note}
        options = {"note": self.note, "close": self.close}
        if kind == "credit_note":
            options.update(
                amount=self.amount,
                line_ids=self.move_line_ids.ids or None,
                post=self.post_credit_note,
            )
        elif kind in ("return", "replacement"):
            options["lines"] = [
                {"product_id": line.product_id.id, "quantity": line.quantity}
                for line in self.line_ids
                if line.quantity
            ]
        elif kind == "discount":
            if self.discount_type == "percent":
                options["percent"] = self.discount_percent
            else:
                options["amount"] = self.amount
        return options

    def action_resolve(self):
        self.ensure_one()
        options = self._resolution_options() if self.resolution_type else {}
        self.dispute_id.resolve(self.resolution_type, **options)
        return {"type": "ir.actions.act_window_close"}
