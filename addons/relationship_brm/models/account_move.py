from odoo import api, fields, models
from odoo.tools.sql import column_exists, create_column

from .relationship_agreement import (
    PURCHASE_TYPES,
    RUNNING_STATES,
    SALE_TYPES,
    agreement_side_types,
)

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
    _inherit = "account.move"

    # Customer invoices and refunds reference sales-side agreements, vendor
    # bills and refunds purchase-side ones; other entries none.
    agreement_id = fields.Many2one(
        "relationship.agreement",
        compute="_compute_agreement_id",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        tracking=True,
        groups="relationship_mgmt.group_relationship_user",
        domain=MOVE_AGREEMENT_DOMAIN,
        help="Running agreement of the partner the invoice falls under; by "
        "default its single running agreement of the invoice's side (sales "
        "or distribution for customer invoices, purchase for vendor bills).",
    )

    def _auto_init(self):
        # Existing entries have no agreement: create the column beforehand so
        # that installing does not compute it for every journal entry.
        if not column_exists(self.env.cr, self._table, "agreement_id"):
            create_column(self.env.cr, self._table, "agreement_id", "int4")
        return super()._auto_init()

    @api.depends("partner_id", "company_id", "move_type")
    def _compute_agreement_id(self):
        Agreement = self.env["relationship.agreement"]
        sales = self.filtered(lambda move: move.move_type in SALE_MOVE_TYPES)
        purchases = self.filtered(lambda move: move.move_type in PURCHASE_MOVE_TYPES)
        Agreement._compute_document_agreement(sales, SALE_TYPES)
        Agreement._compute_document_agreement(purchases, PURCHASE_TYPES)
        (self - sales - purchases).agreement_id = False

    @api.constrains("agreement_id", "partner_id", "move_type")
    def _check_agreement_id(self):
        Agreement = self.env["relationship.agreement"]
        Agreement._check_document_agreement(
            self.filtered(lambda move: move.move_type in SALE_MOVE_TYPES), "sale"
        )
        Agreement._check_document_agreement(
            self.filtered(lambda move: move.move_type in PURCHASE_MOVE_TYPES),
            "purchase",
        )
