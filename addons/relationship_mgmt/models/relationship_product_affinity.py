import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..engine import crosssell as engine
from ..engine.signals import excluded_partner_ids
from ..tools import batch_runner

_logger = logging.getLogger(__name__)

AFFINITY_KINDS = [("product", "Products"), ("category", "Product categories")]


class RelationshipProductAffinity(models.Model):
    _name = "relationship.product.affinity"
    _description = "Product Affinity Rule"
    _order = "company_id, kind, lift desc, confidence desc, id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    kind = fields.Selection(AFFINITY_KINDS, required=True, readonly=True)
    product_a_id = fields.Many2one(
        "product.product",
        string="Bought Product",
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    product_b_id = fields.Many2one(
        "product.product",
        string="Also Bought Product",
        readonly=True,
        ondelete="cascade",
    )
    categ_a_id = fields.Many2one(
        "product.category", string="Bought Category", readonly=True, ondelete="cascade"
    )
    categ_b_id = fields.Many2one(
        "product.category",
        string="Also Bought Category",
        readonly=True,
        ondelete="cascade",
    )
    customer_count = fields.Integer(
        string="Customers", readonly=True, help="Customers who bought in the window."
    )
    customers_a = fields.Integer(
        string="Customers Buying A", readonly=True, aggregator="max"
    )
    customers_b = fields.Integer(
        string="Customers Buying B", readonly=True, aggregator="max"
    )
    customers_both = fields.Integer(string="Customers Buying Both", readonly=True)
    support = fields.Float(
        readonly=True,
        aggregator="avg",
        help="Share of the customers who bought both.",
    )
    confidence = fields.Float(
        readonly=True,
        aggregator="avg",
        help="Share of the customers buying A who also bought B.",
    )
    lift = fields.Float(
        readonly=True,
        aggregator="avg",
        help="How much more likely B is among the buyers of A than among all "
        "customers (above 1: bought together more than by chance).",
    )
    lead_count = fields.Integer(
        string="Opportunities", compute="_compute_outcomes", compute_sudo=True
    )
    won_count = fields.Integer(
        string="Won", compute="_compute_outcomes", compute_sudo=True
    )
    lost_count = fields.Integer(
        string="Lost", compute="_compute_outcomes", compute_sudo=True
    )
    conversion_rate = fields.Float(
        string="Conversion (%)",
        digits=(16, 1),
        compute="_compute_outcomes",
        compute_sudo=True,
        help="Won opportunities among the closed ones of this rule.",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("kind", "product_a_id", "product_b_id", "categ_a_id", "categ_b_id")
    def _compute_name(self):
        for rule in self:
            if rule.kind == "category":
                a, b = rule.categ_a_id, rule.categ_b_id
            else:
                a, b = rule.product_a_id, rule.product_b_id
            rule.name = f"{a.display_name} → {b.display_name}"

    @api.depends("product_a_id", "product_b_id", "company_id")
    def _compute_outcomes(self):
        """Cross-sell opportunities are tied to a rule by their (bought,
        recommended) product pair and company, which survives the nightly
        rebuild of the rules. Won: in a won stage; lost: archived."""
        rules = self.filtered(lambda rule: rule.kind == "product")
        counts = {}
        if rules:
            groups = (
                self.env["crm.lead"]
                .with_context(active_test=False)
                ._read_group(
                    [
                        ("crosssell_source_product_id", "in", rules.product_a_id.ids),
                        ("crosssell_product_id", "in", rules.product_b_id.ids),
                        ("company_id", "in", rules.company_id.ids),
                    ],
                    [
                        "company_id",
                        "crosssell_source_product_id",
                        "crosssell_product_id",
                        "crosssell_outcome",
                    ],
                    ["__count"],
                )
            )
            for company, source, product, outcome, count in groups:
                key = (company.id, source.id, product.id)
                counts.setdefault(key, {})[outcome] = count
        for rule in self:
            outcomes = counts.get(
                (rule.company_id.id, rule.product_a_id.id, rule.product_b_id.id), {}
            )
            rule.lead_count = sum(outcomes.values())
            rule.won_count = outcomes.get("won", 0)
            rule.lost_count = outcomes.get("lost", 0)
            closed = rule.won_count + rule.lost_count
            rule.conversion_rate = 100.0 * rule.won_count / closed if closed else 0.0

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_leads(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm.crm_lead_opportunities"
        )
        action["domain"] = [
            ("crosssell_source_product_id", "=", self.product_a_id.id),
            ("crosssell_product_id", "=", self.product_b_id.id),
            ("company_id", "=", self.company_id.id),
        ]
        action["context"] = {"active_test": False}
        return action

    # ------------------------------------------------------------------
    # Public API (buttons, server actions, XML-RPC)
    # ------------------------------------------------------------------

    @api.model
    def refresh_crosssell(self):
        """Mine the affinities and rebuild the recommendations of the companies
        the caller works in (Relationships managers).

        :return: ``{"rules": int, "recommendations": int, "companies": [ids],
                 "skipped_companies": [ids]}``
        """
        if not self.env.user.has_group("relationship_mgmt.group_relationship_manager"):
            raise AccessError(
                self.env._(
                    "Only Relationships managers may recompute the cross-sell "
                    "recommendations."
                )
            )

        def work(run):
            # sudo: the caller manages relationships of this company; the rules
            # and recommendations are computed rows no user writes by hand.
            counts = self.sudo()._crosssell_mine(run.company)
            counts["rules"] = counts["product_rules"] + counts["category_rules"]
            return counts

        return batch_runner.run_companies(
            self.env,
            "crosssell",
            self.env.companies,
            work,
            totals=("rules", "recommendations"),
        )

    @api.model
    def action_refresh_all(self):
        result = self.refresh_crosssell()
        return batch_runner.notification(
            self.env,
            self.env._("Cross-sell recomputed"),
            self.env._(
                "%(rules)s affinity rules, %(recommendations)s recommendations.",
                rules=result["rules"],
                recommendations=result["recommendations"],
            ),
            result,
        )

    # ------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------

    @api.model
    def _cron_refresh_all(self):
        """Nightly, after the customer analytics: every company."""
        batch_runner.run_companies(
            self.env,
            "crosssell",
            self.env["res.company"].search([]),
            lambda run: self._crosssell_mine(run.company),
            options=batch_runner.BatchOptions(commit=batch_runner.may_commit()),
        )

    # ------------------------------------------------------------------
    # The computation
    # ------------------------------------------------------------------

    def _refresh_company(self, company, as_of=None):
        """Mine the product and category rules of one company from its
        confirmed orders in the window up to ``as_of`` (default: today), then
        rebuild its open recommendations: a few statements for the whole
        company. Returns the counts, or None while another run of the company
        holds its lock."""
        return batch_runner.run_company(
            self.env,
            "crosssell",
            company,
            lambda run: self._crosssell_mine(company, as_of),
        )

    def _crosssell_mine(self, company, as_of=None):
        cr = self.env.cr
        as_of = as_of or fields.Date.context_today(self.with_company(company))
        customers = engine.load_history(
            cr,
            company.id,
            as_of,
            company.crosssell_window_days,
            excluded_partner_ids(cr),
        )
        thresholds = (
            company.crosssell_min_support,
            company.crosssell_min_confidence,
            company.crosssell_min_lift,
        )
        counts = {"customers": customers}
        for kind in engine.KIND_COLUMNS:
            counts[f"{kind}_rules"] = engine.mine_affinities(
                cr, company.id, kind, customers, thresholds, self.env.uid
            )
        counts["recommendations"] = engine.recommend(
            cr, company.id, company.crosssell_max_recommendations, self.env.uid
        )
        # Rules and recommendations were rewritten in SQL, and the partners'
        # and orders' lists of them with them.
        self.env.invalidate_all()
        _logger.info("Cross-sell of %s: %s", company.name, counts)
        return counts
