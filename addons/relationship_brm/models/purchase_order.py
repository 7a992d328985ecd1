from odoo import api, fields, models

from .relationship_agreement import (
    PURCHASE_TYPES,
    agreement_domain,
    create_agreement_column,
)


class PurchaseOrder(models.Model):
    _inherit = "purchase.order"

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
        domain=agreement_domain("purchase"),
        help="Running agreement of the vendor the order falls under; by default "
        "its single running purchase agreement.",
    )

    def _auto_init(self):
        create_agreement_column(self)
        return super()._auto_init()

    @api.depends("partner_id", "company_id")
    def _compute_agreement_id(self):
        self.env["relationship.agreement"]._compute_document_agreement(
            self, PURCHASE_TYPES
        )

    @api.constrains("agreement_id", "partner_id")
    def _check_agreement_id(self):
        self.env["relationship.agreement"]._check_document_agreement(self, "purchase")

    def _prepare_invoice(self):
        values = super()._prepare_invoice()
        values["agreement_id"] = self.agreement_id.id
        return values

    def action_open_relationship_dispute(self):
        """Open a new dispute form about this purchase order."""
        return self.env["relationship.dispute"]._action_new_billing_dispute(
            self, "purchase_order_id"
        )
