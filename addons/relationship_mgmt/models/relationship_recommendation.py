from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

from ..engine.engagement import RFM_SEGMENTS
from ..tools import texts

RECOMMENDATION_STATES = [
    ("open", "Open"),
    ("opportunity", "Opportunity"),
    ("dismissed", "Dismissed"),
]
# Average days between orders up to which a rhythm reads as weekly / monthly.
WEEKLY_GAP_DAYS = 10
MONTHLY_GAP_DAYS = 45
DAYS_PER_MONTH = 365.25 / 12
# Affinity (0-1, the combined confidence of the rules) called strong/moderate.
STRONG_AFFINITY = 0.5
MODERATE_AFFINITY = 0.2


class RelationshipRecommendation(models.Model):
    _name = "relationship.recommendation"
    _description = "Cross-sell Recommendation"
    _order = "company_id, partner_id, position, id"
    _rec_name = "product_id"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        ondelete="cascade",
    )  # indexed by the partner_product_company_uniq constraint
    product_id = fields.Many2one(
        "product.product",
        string="Recommended Product",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    state = fields.Selection(
        RECOMMENDATION_STATES, required=True, default="open", readonly=True
    )
    position = fields.Integer(
        string="Rank", readonly=True, help="1 = the customer's best recommendation."
    )
    score = fields.Float(readonly=True, aggregator="avg")
    affinity = fields.Float(
        readonly=True,
        help="Combined confidence of every rule leading to the product from "
        "products the customer buys: 1 - (1 - c1) x (1 - c2) ...",
    )
    segment_factor = fields.Float(readonly=True)
    margin_factor = fields.Float(readonly=True)
    rfm_segment = fields.Selection(RFM_SEGMENTS, string="RFM Segment", readonly=True)
    affinity_id = fields.Many2one(
        "relationship.product.affinity",
        string="Rule",
        readonly=True,
        index="btree_not_null",  # the nightly rebuild of the rules sets it null
        ondelete="set null",
        help="The strongest rule behind the recommendation (until the rules are "
        "mined again).",
    )
    source_product_id = fields.Many2one(
        "product.product",
        string="Because of",
        readonly=True,
        ondelete="cascade",
        help="The product the customer buys that leads to this one.",
    )
    rule_confidence = fields.Float(readonly=True)
    rule_lift = fields.Float(readonly=True)
    rule_count = fields.Integer(
        string="Rules", readonly=True, help="Rules leading to the product."
    )
    antecedent_order_count = fields.Integer(readonly=True)
    antecedent_gap_days = fields.Float(readonly=True)
    last_bought_date = fields.Date(
        readonly=True,
        help="When the customer last bought the product, before the mining window "
        "(empty: never bought).",
    )
    lead_id = fields.Many2one(
        "crm.lead", string="Opportunity", readonly=True, ondelete="set null"
    )
    user_id = fields.Many2one(
        related="partner_id.user_id", string="Salesperson", readonly=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    list_price = fields.Float(related="product_id.lst_price", string="Sales Price")
    reason = fields.Text(compute="_compute_reason")

    _sql_constraints = [
        (
            "partner_product_company_uniq",
            "unique(partner_id, product_id, company_id)",
            "A product is recommended once per customer and company.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends(
        "source_product_id",
        "rule_confidence",
        "antecedent_order_count",
        "antecedent_gap_days",
        "rule_count",
        "last_bought_date",
        "affinity",
        "segment_factor",
        "margin_factor",
    )
    @api.depends_context("lang")
    def _compute_reason(self):
        for recommendation in self:
            recommendation.reason = "\n".join(recommendation._reasons())

    def _reasons(self):
        self.ensure_one()
        _ = self.env._
        source = self.source_product_id.display_name
        lines = [
            _(
                "Bought by %(percent)s%% of customers who buy %(product)s; %(rhythm)s.",
                percent=round(100 * self.rule_confidence),
                product=source,
                rhythm=self._rhythm_words(source),
            )
        ]
        if self.rule_count > 1:
            lines.append(
                texts.plural(
                    self.rule_count - 1,
                    _("Also bought with 1 other product this customer buys."),
                    _(
                        "Also bought with %(count)s other products this customer buys.",
                        count=self.rule_count - 1,
                    ),
                )
            )
        if self.last_bought_date:
            lines.append(
                _(
                    "The customer stopped buying it: last bought on %(date)s.",
                    date=format_date(self.env, self.last_bought_date),
                )
            )
        else:
            lines.append(_("Never bought by this customer."))
        lines.append(self._score_words())
        return lines

    def _score_words(self):
        """The score in words: how strong the affinity is and what the
        customer's segment and the product's margin do to it."""
        _ = self.env._
        if self.affinity >= STRONG_AFFINITY:
            affinity = _("strong affinity")
        elif self.affinity >= MODERATE_AFFINITY:
            affinity = _("moderate affinity")
        else:
            affinity = _("weak affinity")
        effects = []
        for factor, raises, lowers in (
            (
                self.segment_factor,
                _("the customer's segment raises it"),
                _("the customer's segment lowers it"),
            ),
            (
                self.margin_factor,
                _("the product's margin raises it"),
                _("the product's thin margin lowers it"),
            ),
        ):
            if factor > 1.0:
                effects.append(raises)
            elif factor < 1.0:
                effects.append(lowers)
        if not effects:
            return _(
                "Score %(score)s of 100: %(affinity)s.",
                score=round(self.score),
                affinity=affinity,
            )
        return _(
            "Score %(score)s of 100: %(affinity)s; %(effects)s.",
            score=round(self.score),
            affinity=affinity,
            effects=effects[0]
            if len(effects) == 1
            else _("%(first)s and %(second)s", first=effects[0], second=effects[1]),
        )

    def _rhythm_words(self, source):
        _ = self.env._
        if self.antecedent_order_count <= 1 or not self.antecedent_gap_days:
            return _("the customer bought %(product)s once", product=source)
        if self.antecedent_gap_days <= WEEKLY_GAP_DAYS:
            return _("the customer buys %(product)s weekly", product=source)
        if self.antecedent_gap_days <= MONTHLY_GAP_DAYS:
            return _("the customer buys %(product)s monthly", product=source)
        return _(
            "the customer buys %(product)s every %(months)s",
            product=source,
            months=texts.months_count(
                self.env, round(self.antecedent_gap_days / DAYS_PER_MONTH)
            ),
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _check_manager(self):
        if not self.env.user.has_group("relationship_mgmt.group_relationship_manager"):
            raise AccessError(
                self.env._("Only Relationships managers may follow up recommendations.")
            )

    def action_dismiss(self):
        """Keep the product out of the customer's recommendations."""
        self._check_manager()
        # sudo: managers decide on recommendations, which have no write access
        # rows since they are computed.
        self.sudo().filtered(lambda rec: rec.state == "open").state = "dismissed"

    def action_reopen(self):
        self._check_manager()
        # sudo: as in action_dismiss.
        self.sudo().filtered(lambda rec: rec.state == "dismissed").state = "open"

    def action_view_lead(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": self.lead_id.id,
            "view_mode": "form",
        }

    def action_add_to_order(self):
        """Add the recommended product to the quotation given in the context
        (``crosssell_order_id``, set by the suggestions on the order form)."""
        self.ensure_one()
        order = self.env["sale.order"].browse(
            self.env.context.get("crosssell_order_id")
        )
        if (
            not order.exists()
            or order.state not in ("draft", "sent")
            or order.partner_id.commercial_partner_id != self.partner_id
        ):
            raise UserError(
                self.env._(
                    "The suggestion can only be added to a quotation of %(customer)s.",
                    customer=self.partner_id.display_name,
                )
            )
        order.order_line = [
            Command.create({"product_id": self.product_id.id, "product_uom_qty": 1.0})
        ]
        return True

    def action_generate_opportunities(self):
        """Open the opportunity wizard on the selected recommendations."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_mgmt.relationship_crosssell_wizard_action"
        )
        action["context"] = {
            "active_model": self._name,
            "active_ids": self.ids,
        }
        return action
