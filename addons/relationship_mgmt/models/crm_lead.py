from odoo import api, fields, models

CROSSSELL_OUTCOMES = [("open", "Open"), ("won", "Won"), ("lost", "Lost")]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    crosssell_recommendation_id = fields.Many2one(
        "relationship.recommendation",
        string="Cross-sell Recommendation",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
    crosssell_product_id = fields.Many2one(
        "product.product",
        string="Cross-sell Product",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
    crosssell_source_product_id = fields.Many2one(
        "product.product",
        string="Cross-sell Because of",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The product the customer buys that led to the recommendation: with "
        "the cross-sell product, the rule the outcome is counted for.",
    )
    crosssell_outcome = fields.Selection(
        CROSSSELL_OUTCOMES,
        compute="_compute_crosssell_outcome",
        store=True,
        help="Won: in a won stage; lost: marked lost (archived).",
    )

    @api.depends("crosssell_product_id", "stage_id.is_won", "active")
    def _compute_crosssell_outcome(self):
        for lead in self:
            if not lead.crosssell_product_id:
                lead.crosssell_outcome = False
            elif lead.stage_id.is_won:
                lead.crosssell_outcome = "won"
            elif not lead.active:
                lead.crosssell_outcome = "lost"
            else:
                lead.crosssell_outcome = "open"
