from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..tools import actions


class RelationshipCrosssellWizard(models.TransientModel):
    _name = "relationship.crosssell.wizard"
    _inherit = "relationship.customer.target"
    _description = "Generate Cross-sell Opportunities"

    recommendation_ids = fields.Many2many(
        "relationship.recommendation",
        string="Recommendations",
        default=lambda self: self._default_recommendation_ids(),
        help="When started from recommendations: exactly those (the open ones).",
    )
    top_count = fields.Integer(
        string="Recommendations per Customer",
        default=1,
        help="The customer's best open recommendations turned into opportunities.",
    )
    min_score = fields.Float(
        string="Minimum Score", help="Recommendations scoring less are left out."
    )
    team_id = fields.Many2one("crm.team", string="Sales Team")

    @api.model
    def _default_recommendation_ids(self):
        if self.env.context.get("active_model") != "relationship.recommendation":
            return False
        ids = self.env.context.get("active_ids") or []
        return self.env["relationship.recommendation"].browse(ids).exists()

    @api.constrains("top_count", "min_score")
    def _check_top_count(self):
        for wizard in self:
            if not 1 <= wizard.top_count <= 50:
                raise ValidationError(
                    self.env._(
                        "Choose between 1 and 50 recommendations per customer, not "
                        "%(count)s.",
                        count=wizard.top_count,
                    )
                )
            if wizard.min_score < 0:
                raise ValidationError(
                    self.env._(
                        "The minimum score cannot be negative (%(score)s).",
                        score=wizard.min_score,
                    )
                )

    def _typical_order_values(self, partners):
        """Average untaxed amount of the customers' confirmed orders in the
        current company, by commercial partner id."""
        # sudo: managers may not have Sales rights; only the totals of the
        # customers' confirmed orders in the current company are read.
        groups = (
            self.env["sale.order"]
            .sudo()
            ._read_group(
                [
                    ("partner_id.commercial_partner_id", "in", partners.ids),
                    ("company_id", "=", self.env.company.id),
                    ("state", "=", "sale"),
                ],
                ["partner_id"],
                ["amount_untaxed:sum", "__count"],
            )
        )
        totals = {}
        for partner, amount, count in groups:
            total = totals.setdefault(partner.commercial_partner_id.id, [0.0, 0])
            total[0] += amount
            total[1] += count
        return {pid: amount / count for pid, (amount, count) in totals.items()}

    def _open_crosssell_keys(self, partners):
        """``(customer, product)`` pairs with an open cross-sell opportunity."""
        # sudo: managers may not have the Sales rights to read every lead; only
        # the customer and product of open cross-sell leads are looked at.
        leads = (
            self.env["crm.lead"]
            .sudo()
            .search(
                [
                    ("partner_id.commercial_partner_id", "in", partners.ids),
                    ("crosssell_product_id", "!=", False),
                    ("crosssell_outcome", "=", "open"),
                    ("company_id", "in", (False, self.env.company.id)),
                ]
            )
        )
        return {
            (lead.partner_id.commercial_partner_id.id, lead.crosssell_product_id.id)
            for lead in leads
        }

    def action_generate(self):
        """Create one opportunity per chosen recommendation in one batch,
        skipping the customers who already have an open cross-sell opportunity
        for the same product.

        :return: a notification action; ``generate_opportunities`` returns the
                 counts instead
        """
        result = self.generate_opportunities()
        return actions.notification(
            self.env._("Cross-sell opportunities"),
            self.env._(
                "%(created)s opportunities created, %(skipped)s already open.",
                created=len(result["lead_ids"]),
                skipped=result["skipped"],
            ),
            "success",
            actions.CLOSE_WINDOW,
        )

    def generate_opportunities(self):
        """:return: ``{"lead_ids": [ids], "skipped": int}``"""
        self.ensure_one()
        if not self.env.user.has_group("relationship_mgmt.group_relationship_manager"):
            raise AccessError(
                self.env._(
                    "Only Relationships managers may generate cross-sell opportunities."
                )
            )
        if self.target == "selection" and self.recommendation_ids:
            chosen = self.recommendation_ids.filtered(
                lambda rec: (
                    rec.state == "open"
                    and rec.company_id == self.env.company
                    and rec.score >= self.min_score
                )
            )
            partners = chosen.partner_id
        else:
            partners = self._target_partners(self.env.company)
        if not partners:
            raise UserError(self.env._("There is no customer to act on."))
        open_keys = self._open_crosssell_keys(partners)
        if not (self.target == "selection" and self.recommendation_ids):
            chosen = self._best_recommendations(partners, open_keys)
        skipped = chosen.filtered(
            lambda rec: (rec.partner_id.id, rec.product_id.id) in open_keys
        )
        chosen -= skipped
        typical = self._typical_order_values(chosen.partner_id)
        tag = self._crosssell_tag()
        values = [
            {
                "name": self.env._(
                    "Cross-sell: %(product)s for %(customer)s",
                    product=rec.product_id.display_name,
                    customer=rec.partner_id.display_name,
                ),
                "type": "opportunity",
                "partner_id": rec.partner_id.id,
                "company_id": rec.company_id.id,
                "user_id": rec.partner_id.user_id.id or self.env.uid,
                "team_id": self.team_id.id or False,
                "expected_revenue": typical.get(
                    rec.partner_id.id, rec.product_id.lst_price
                ),
                "tag_ids": [fields.Command.link(tag.id)],
                "description": Markup("<p>%s</p>")
                % Markup("<br/>").join(rec._reasons()),
                "crosssell_recommendation_id": rec.id,
                "crosssell_product_id": rec.product_id.id,
                "crosssell_source_product_id": rec.source_product_id.id,
            }
            for rec in chosen
        ]
        # sudo: the caller is a Relationships manager, who decides cross-sell
        # opportunities without necessarily holding Sales rights; the leads go
        # to the customers' salespeople, in the current company only.
        leads = self.env["crm.lead"].sudo().create(values)
        self._link_leads(chosen, leads)
        return {"lead_ids": leads.ids, "skipped": len(skipped)}

    def _best_recommendations(self, partners, open_keys):
        """The ``top_count`` best recommendations of each customer among the
        open ones and those followed by a still open opportunity (so that
        running the wizard again creates nothing new)."""
        recommendations = self.env["relationship.recommendation"].search(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "=", self.env.company.id),
                ("state", "in", ("open", "opportunity")),
                ("score", ">=", self.min_score),
            ],
            order="partner_id, score desc, position, id",
        )
        recommendations = recommendations.filtered(
            lambda rec: (
                rec.state == "open"
                or (rec.partner_id.id, rec.product_id.id) in open_keys
            )
        )
        chosen_ids = []
        per_partner = {}
        for recommendation in recommendations:
            count = per_partner.get(recommendation.partner_id.id, 0)
            if count < self.top_count:
                per_partner[recommendation.partner_id.id] = count + 1
                chosen_ids.append(recommendation.id)
        return recommendations.browse(chosen_ids)

    def _link_leads(self, recommendations, leads):
        """Mark the recommendations as followed up by their leads, in one
        statement (recommendations are computed rows without write access)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE relationship_recommendation r
                   SET state = 'opportunity', lead_id = v.lead_id,
                       write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                  FROM unnest(%(ids)s::int[], %(lead_ids)s::int[]) AS v(id, lead_id)
                 WHERE r.id = v.id
                """,
                uid=self.env.uid,
                ids=recommendations.ids,
                lead_ids=leads.ids,
            )
        )
        recommendations.invalidate_recordset(["state", "lead_id"])
        self.env["res.partner"].invalidate_model(["crosssell_recommendation_ids"])
        self.env["sale.order"].invalidate_model(["crosssell_recommendation_ids"])

    def _crosssell_tag(self):
        tag = self.env.ref(
            "relationship_mgmt.crm_tag_crosssell", raise_if_not_found=False
        )
        if not tag:
            # sudo: the tag is shared reference data, recreated if deleted.
            Tag = self.env["crm.tag"].sudo()
            tag = Tag.search([("name", "=", "Cross-sell")], limit=1) or Tag.create(
                {"name": "Cross-sell"}
            )
        return tag
