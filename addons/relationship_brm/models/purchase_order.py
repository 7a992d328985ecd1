from odoo import api, fields, models
from odoo.tools.sql import column_exists, create_column

from .relationship_agreement import PURCHASE_TYPES, agreement_domain


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
        # Existing orders have no agreement: create the column beforehand so
        # that installing does not compute it for every order.
        if not column_exists(self.env.cr, self._table, "agreement_id"):
            create_column(self.env.cr, self._table, "agreement_id", "int4")
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
        self.ensure_one()
        return self.env["relationship.dispute"]._action_new_dispute(
            self.partner_id,
            self.company_id,
            purchase_order_id=self.id,
            agreement_id=self.agreement_id.id,
            currency_id=self.currency_id.id,
            amount_disputed=self.amount_total,
            dispute_type="billing",
            name=self.env._("Dispute on %(order)s", order=self.name),
        )
