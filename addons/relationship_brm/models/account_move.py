from odoo import api, fields, models
from odoo.exceptions import UserError

from .relationship_agreement import RUNNING_STATES
from .relationship_agreement_document_mixin import agreement_side_types

SALE_MOVE_TYPES = ("out_invoice", "out_refund")
PURCHASE_MOVE_TYPES = ("in_invoice", "in_refund")
MOVE_AGREEMENT_DOMAIN = (
    "[('partner_id', 'parent_of', partner_id), "
    f"('state', 'in', {list(RUNNING_STATES)!r}), "
    f"('agreement_type', 'in', {agreement_side_types('sale')!r} "
    f"if move_type in {list(SALE_MOVE_TYPES)!r} "
    f"else {agreement_side_types('purchase')!r})]"
)


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "relationship.agreement.document.mixin"]
    _agreement_dispute_field = "move_id"

    # Customer invoices and refunds reference sales-side agreements, vendor
    # bills and refunds purchase-side ones; other entries none.
    agreement_id = fields.Many2one(
        tracking=True,
        domain=MOVE_AGREEMENT_DOMAIN,
        help="Running agreement of the partner the invoice falls under; by "
        "default its single running agreement of the invoice's side (sales "
        "or distribution for customer invoices, purchase for vendor bills).",
    )

    relationship_dispute_ids = fields.One2many(
        "relationship.dispute",
        "move_id",
        string="Disputes",
        groups="relationship_mgmt.group_relationship_user",
    )
    relationship_dispute_open = fields.Boolean(
        string="Under Open Dispute",
        compute="_compute_relationship_dispute_open",
        search="_search_relationship_dispute_open",
        help="The invoice is disputed and the dispute is not closed yet: leave "
        "it out of payment reminders (filter on this flag). The engagement and "
        "trust scores leave it out of overdue counts meanwhile.",
    )
    relationship_dispute_count = fields.Integer(
        string="Open Disputes",
        compute="_compute_relationship_dispute_open",
        groups="relationship_mgmt.group_relationship_user",
    )

    def _agreement_sides(self):
        return {
            "sale": self.filtered(lambda move: move.move_type in SALE_MOVE_TYPES),
            "purchase": self.filtered(
                lambda move: move.move_type in PURCHASE_MOVE_TYPES
            ),
        }

    @api.depends("partner_id", "company_id", "move_type")
    def _compute_agreement_id(self):
        return super()._compute_agreement_id()

    @api.constrains("agreement_id", "partner_id", "move_type")
    def _check_agreement_id(self):
        return super()._check_agreement_id()

    def _compute_relationship_dispute_open(self):
        # sudo: the flag is shown to whoever reads the invoice (accountants
        # filtering reminders), disputes being readable by Relationships users.
        groups = (
            self.env["relationship.dispute"]
            .sudo()
            ._read_group(
                [
                    ("move_id", "in", self.ids),
                    ("is_closed", "=", False),
                ],
                ["move_id"],
                ["__count"],
            )
        )
        counts = {move.id: count for move, count in groups}
        for move in self:
            move.relationship_dispute_open = bool(counts.get(move.id))
            move.relationship_dispute_count = counts.get(move.id, 0)

    def _search_relationship_dispute_open(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("Unsupported search on the dispute flag."))
        # sudo: see _compute_relationship_dispute_open.
        query = (
            self.env["relationship.dispute"]
            .sudo()
            ._search([("move_id", "!=", False), ("is_closed", "=", False)])
            .subselect("move_id")
        )
        positive = (operator == "=") == bool(value)
        return [("id", "in" if positive else "not in", query)]

    def action_view_relationship_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_brm.relationship_dispute_action"
        )
        action["domain"] = [("move_id", "=", self.id)]
        action["context"] = {"default_move_id": self.id}
        return action

    def action_create_relationship_disputes(self):
        """Server action of the invoice list: one dispute per selected
        invoice without an open dispute; opens the new disputes."""
        disputes = self.env["relationship.dispute"]._create_for_invoices(self)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_brm.relationship_dispute_action"
        )
        action["domain"] = [("id", "in", disputes.ids)]
        action["context"] = {"create": False}
        return action
