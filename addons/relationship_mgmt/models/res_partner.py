import json
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..engine.engagement import RFM_SEGMENTS
from ..tools import actions, rpc
from ..tools.rpc import iso, reason_dicts
from .relationship_analytics import CHURN_LEVELS
from .relationship_engagement import TIERS
from .relationship_satisfaction import NPS_CATEGORIES

# The trend compares the average 0-100 score of the last TREND_DAYS days with
# the TREND_DAYS days before; smaller moves are "stable".
TREND_DAYS = 90

TREND_STABLE = 5.0

# Partners one summary call reads at most: a client pages through more.
SUMMARY_LIMIT = 1000

# Models holding relationship data about a customer, with the field naming the
# (commercial) customer. relationship_brm and other addons extend the list by
# overriding _relationship_data_models().
RELATIONSHIP_DATA_MODELS = (
    ("relationship.engagement", "partner_id"),
    ("relationship.engagement.snapshot", "partner_id"),
    ("relationship.analytics", "partner_id"),
    ("relationship.interaction", "partner_id"),
    ("relationship.satisfaction", "partner_id"),
    ("relationship.program.enrolment", "partner_id"),
    ("relationship.program.enrolment.line", "partner_id"),
    ("relationship.event", "partner_id"),
)

# Field types left out of the export (files, computed HTML breakdowns).
SKIPPED_TYPES = ("binary", "html")


class ResPartner(models.Model):
    _inherit = "res.partner"

    relationship_no_profiling = fields.Boolean(
        string="No Profiling",
        tracking=True,
        help="The customer asked not to be profiled: no engagement score, RFM "
        "segment or analytics are kept for it (set on the company, it covers "
        "its contacts).",
    )
    engagement_ids = fields.One2many(
        "relationship.engagement", "partner_id", string="Engagement by Company"
    )
    engagement_id = fields.Many2one(
        "relationship.engagement",
        compute="_compute_engagement",
        help="Engagement of the commercial entity in the current company.",
    )
    engagement_score = fields.Float(
        compute="_compute_engagement",
        search="_search_engagement_score",
        digits=(5, 1),
    )
    engagement_tier = fields.Selection(
        TIERS,
        compute="_compute_engagement",
        search="_search_engagement_tier",
    )
    engagement_trend = fields.Float(compute="_compute_engagement", digits=(5, 1))
    engagement_trend_display = fields.Char(
        string="Engagement Score Change", compute="_compute_engagement"
    )
    engagement_rfm_segment = fields.Selection(
        RFM_SEGMENTS,
        string="RFM Segment",
        compute="_compute_engagement",
        search="_search_engagement_rfm_segment",
    )
    engagement_date = fields.Datetime(
        compute="_compute_engagement", string="Engagement Computed"
    )
    engagement_breakdown = fields.Html(compute="_compute_engagement", sanitize=False)
    analytics_id = fields.Many2one(
        "relationship.analytics",
        compute="_compute_analytics",
        string="Customer Analytics",
        help="Analytics of the commercial entity in the current company.",
    )
    analytics_churn_risk = fields.Float(
        compute="_compute_analytics", string="Churn Risk", digits=(5, 1)
    )
    analytics_churn_level = fields.Selection(
        CHURN_LEVELS,
        compute="_compute_analytics",
        search="_search_analytics_churn_level",
        string="Churn Level",
    )
    analytics_lifetime_value = fields.Monetary(
        compute="_compute_analytics",
        string="Lifetime Value",
        currency_field="analytics_currency_id",
    )
    analytics_currency_id = fields.Many2one(
        "res.currency", compute="_compute_analytics", string="Currency of Analytics"
    )
    analytics_next_order_date = fields.Date(
        compute="_compute_analytics", string="Expected Next Order"
    )

    @api.depends_context("company")
    @api.depends(
        "commercial_partner_id.engagement_ids.score",
        "commercial_partner_id.engagement_ids.tier",
        "commercial_partner_id.engagement_ids.rfm_segment",
    )
    def _compute_engagement(self):
        Engagement = self.env["relationship.engagement"]
        commercial = self.commercial_partner_id
        engagements = Engagement.search(
            [
                ("partner_id", "in", commercial.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {
            engagement.partner_id.id: engagement for engagement in engagements
        }
        for partner in self:
            engagement = by_partner.get(partner.commercial_partner_id.id, Engagement)
            partner.engagement_id = engagement
            partner.engagement_score = engagement.score
            partner.engagement_tier = engagement.tier or False
            partner.engagement_trend = engagement.score_trend
            partner.engagement_trend_display = engagement.score_trend_display or False
            partner.engagement_rfm_segment = engagement.rfm_segment or False
            partner.engagement_date = engagement.date_computed
            partner.engagement_breakdown = engagement.breakdown

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_analytics(self):
        commercial = self.commercial_partner_id
        analytics = self.env["relationship.analytics"].search(
            [
                ("partner_id", "in", commercial.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {record.partner_id.id: record for record in analytics}
        empty = self.env["relationship.analytics"]
        for partner in self:
            record = by_partner.get(partner.commercial_partner_id.id, empty)
            partner.analytics_id = record
            partner.analytics_churn_risk = record.churn_risk
            partner.analytics_churn_level = record.churn_level or False
            partner.analytics_lifetime_value = record.lifetime_value
            partner.analytics_currency_id = record.currency_id
            partner.analytics_next_order_date = record.next_order_date

    def _search_analytics_churn_level(self, operator, value):
        """Partners whose commercial entity's churn level in the current
        company matches."""
        analytics_query = self.env["relationship.analytics"]._search(
            [("churn_level", operator, value), ("company_id", "=", self.env.company.id)]
        )
        return [
            (
                "commercial_partner_id",
                "in",
                analytics_query.subselect(
                    SQL.identifier("relationship_analytics", "partner_id")
                ),
            )
        ]

    def action_view_analytics(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "relationship.analytics",
            "view_mode": "form",
            "res_id": self.analytics_id.id,
            "name": self.env._("Customer Analytics"),
        }

    def write(self, vals):
        result = super().write(vals)
        if vals.get("relationship_no_profiling"):
            self._relationship_drop_profiles()
        return result

    def _relationship_drop_profiles(self):
        """Delete the scores, their history, the analytics and the cross-sell
        recommendations of customers who opted out of profiling (the mining
        leaves them out from then on)."""
        commercial = self.filtered("relationship_no_profiling").commercial_partner_id
        if not commercial:
            return
        # sudo: the customer's request removes derived data in every company,
        # whoever records it (they may not read the other companies' rows).
        for model in (
            "relationship.engagement.snapshot",
            "relationship.engagement.stage",
            "relationship.engagement",
            "relationship.analytics",
            "relationship.analytics.stage",
            "relationship.recommendation",
        ):
            self.env[model].sudo().search(
                [("partner_id", "in", commercial.ids)]
            ).unlink()

    def _search_engagement_tier(self, operator, value):
        return self._search_engagement_field("tier", operator, value)

    def _search_engagement_rfm_segment(self, operator, value):
        return self._search_engagement_field("rfm_segment", operator, value)

    def _search_engagement_score(self, operator, value):
        return self._search_engagement_field("score", operator, value)

    def _search_engagement_field(self, fname, operator, value):
        """Partners whose commercial entity's engagement in the current company
        matches ``fname operator value``."""
        engagement_query = self.env["relationship.engagement"]._search(
            [(fname, operator, value), ("company_id", "=", self.env.company.id)]
        )
        return [
            (
                "commercial_partner_id",
                "in",
                engagement_query.subselect(
                    SQL.identifier("relationship_engagement", "partner_id")
                ),
            )
        ]

    def action_view_engagement_history(self):
        return self._relationship_action(
            "relationship_mgmt.relationship_engagement_snapshot_action",
            {"search_default_group_by_date": 0},
        )

    def action_recompute_engagement(self):
        """Server action / button: recompute the selected partners now and
        say what was done; the contact shows its new score."""
        Engagement = self.env["relationship.engagement"]
        result = Engagement.recompute_engagement(self.ids)
        return Engagement._engagement_recompute_notification(
            result, {"type": "ir.actions.client", "tag": "soft_reload"}
        )

    # ---- Smart buttons ----
    # A count per customer and the list it opens, on the records of the
    # customer's commercial entity (interactions, satisfaction, enrolments,
    # cross-sell here; agreements, disputes and trust in relationship_brm).

    def _relationship_counts(self, model, domain=()):
        """``{commercial partner: count}`` of the ``model`` records of these
        partners' commercial entities (by ``partner_id``) that also match
        ``domain``, in one ``_read_group``."""
        return dict(
            self.env[model]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids), *domain],
                ["partner_id"],
                ["__count"],
            )
        )

    def _relationship_action(
        self, xmlid, context=None, domain=(), partner_field="partner_id"
    ):
        """The window action ``xmlid`` on the records of this partner's
        commercial entity (by ``partner_field``) that also match ``domain``,
        opened with ``context``: what a smart button opens."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [
            (partner_field, "=", self.commercial_partner_id.id),
            *domain,
        ]
        action["context"] = context or {}
        return action

    # ---- Interactions ----
    # Interactions logged with the customer (smart button, quick logging).

    relationship_interaction_count = fields.Integer(
        string="Interactions",
        compute="_compute_relationship_interaction_count",
        groups="relationship_mgmt.group_relationship_user",
    )

    @api.depends_context("allowed_company_ids")
    def _compute_relationship_interaction_count(self):
        counts = self._relationship_counts(
            "relationship.interaction", [("company_id", "in", self.env.companies.ids)]
        )
        for partner in self:
            partner.relationship_interaction_count = counts.get(
                partner.commercial_partner_id, 0
            )

    def action_view_relationship_interactions(self):
        self.ensure_one()
        return self._relationship_action(
            "relationship_mgmt.relationship_interaction_action",
            self._relationship_interaction_defaults(),
        )

    def action_log_relationship_interaction(self):
        """Open a new interaction of this customer in a dialog."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Interaction"),
            "res_model": "relationship.interaction",
            "view_mode": "form",
            "views": [
                (
                    self.env.ref(
                        "relationship_mgmt.relationship_interaction_view_form_quick"
                    ).id,
                    "form",
                )
            ],
            "target": "new",
            "context": self._relationship_interaction_defaults(),
        }

    def _relationship_interaction_defaults(self):
        commercial = self.commercial_partner_id
        return {
            "default_partner_id": commercial.id,
            "default_contact_id": self.id if self != commercial else False,
        }

    # ---- Satisfaction ----
    # CSAT and NPS of the customer (its commercial entity), in the companies the user
    # works in.

    satisfaction_count = fields.Integer(
        string="Satisfaction Responses",
        compute="_compute_satisfaction",
        groups="relationship_mgmt.group_relationship_user",
    )
    csat_last = fields.Integer(
        string="Last CSAT",
        compute="_compute_satisfaction",
        groups="relationship_mgmt.group_relationship_user",
    )
    csat_average = fields.Float(
        string="Average CSAT",
        digits=(3, 2),
        compute="_compute_satisfaction",
        groups="relationship_mgmt.group_relationship_user",
    )
    nps_last = fields.Integer(
        string="Last NPS Answer",
        compute="_compute_satisfaction",
        groups="relationship_mgmt.group_relationship_user",
    )
    nps_last_category = fields.Selection(
        NPS_CATEGORIES,
        string="Last NPS Category",
        compute="_compute_satisfaction",
        groups="relationship_mgmt.group_relationship_user",
    )
    nps_average = fields.Float(
        string="Average NPS Answer",
        digits=(4, 2),
        compute="_compute_satisfaction",
        groups="relationship_mgmt.group_relationship_user",
    )
    nps_score = fields.Float(
        string="NPS",
        digits=(5, 1),
        compute="_compute_satisfaction",
        groups="relationship_mgmt.group_relationship_user",
        help="Net Promoter Score of the customer's answers: % promoters (9-10) "
        "minus % detractors (0-6), from -100 to 100.",
    )
    satisfaction_trend = fields.Float(
        string="Satisfaction Change",
        digits=(5, 1),
        compute="_compute_satisfaction",
        groups="relationship_mgmt.group_relationship_user",
        help="Average satisfaction (0-100) of the last 90 days minus that of "
        "the 90 days before; 0 when either period has no response.",
    )
    satisfaction_trend_direction = fields.Selection(
        [("up", "Improving"), ("stable", "Stable"), ("down", "Declining")],
        string="Satisfaction Trend",
        compute="_compute_satisfaction",
        groups="relationship_mgmt.group_relationship_user",
    )

    @api.depends_context("allowed_company_ids")
    def _compute_satisfaction(self):
        stats = self._satisfaction_stats()
        for partner in self:
            csat = stats.get((partner.commercial_partner_id.id, "csat"), {})
            nps = stats.get((partner.commercial_partner_id.id, "nps"), {})
            partner.satisfaction_count = csat.get("count", 0) + nps.get("count", 0)
            partner.csat_last = csat.get("last", 0)
            partner.csat_average = csat.get("average", 0.0)
            partner.nps_last = nps.get("last", 0)
            partner.nps_last_category = (
                nps
                and self.env["relationship.satisfaction"]._nps_category(nps["last"])
                or False
            )
            partner.nps_average = nps.get("average", 0.0)
            partner.nps_score = (
                100.0 * (nps["promoters"] - nps["detractors"]) / nps["count"]
                if nps
                else 0.0
            )
            recent, earlier = self._satisfaction_periods(csat, nps)
            trend = (
                recent - earlier if recent is not None and earlier is not None else 0
            )
            partner.satisfaction_trend = trend
            partner.satisfaction_trend_direction = (
                False
                if recent is None or earlier is None
                else "up"
                if trend > TREND_STABLE
                else "down"
                if trend < -TREND_STABLE
                else "stable"
            )

    @api.model
    def _satisfaction_periods(self, csat, nps):
        """Average 0-100 score of both kinds in the recent and earlier period."""
        result = []
        for period in ("recent", "earlier"):
            total = sum(kind.get(f"{period}_sum") or 0.0 for kind in (csat, nps))
            count = sum(kind.get(f"{period}_count") or 0 for kind in (csat, nps))
            result.append(total / count if count else None)
        return result

    def _satisfaction_stats(self):
        """``{(commercial partner id, kind): {...}}`` in one query."""
        partner_ids = list(set(self.commercial_partner_id.ids))
        if not partner_ids:
            return {}
        Satisfaction = self.env["relationship.satisfaction"]
        Satisfaction.flush_model()
        now = fields.Datetime.now()
        recent_from = now - timedelta(days=TREND_DAYS)
        earlier_from = now - timedelta(days=2 * TREND_DAYS)
        query = Satisfaction._search(
            [
                ("partner_id", "in", partner_ids),
                ("company_id", "in", self.env.companies.ids),
            ]
        )
        query.groupby = SQL("1, 2")
        self.env.cr.execute(
            query.select(
                SQL(
                    """
                    relationship_satisfaction.partner_id,
                    relationship_satisfaction.kind,
                    COUNT(*),
                    (ARRAY_AGG(relationship_satisfaction.value
                               ORDER BY relationship_satisfaction.date DESC,
                                        relationship_satisfaction.id DESC))[1],
                    AVG(relationship_satisfaction.value),
                    COUNT(*) FILTER (WHERE relationship_satisfaction.value >= 9),
                    COUNT(*) FILTER (WHERE relationship_satisfaction.value <= 6),
                    SUM(relationship_satisfaction.score)
                        FILTER (WHERE relationship_satisfaction.date >= %(recent)s),
                    COUNT(*)
                        FILTER (WHERE relationship_satisfaction.date >= %(recent)s),
                    SUM(relationship_satisfaction.score)
                        FILTER (WHERE relationship_satisfaction.date >= %(earlier)s
                                  AND relationship_satisfaction.date < %(recent)s),
                    COUNT(*)
                        FILTER (WHERE relationship_satisfaction.date >= %(earlier)s
                                  AND relationship_satisfaction.date < %(recent)s)
                    """,
                    recent=recent_from,
                    earlier=earlier_from,
                )
            )
        )
        keys = (
            "count",
            "last",
            "average",
            "promoters",
            "detractors",
            "recent_sum",
            "recent_count",
            "earlier_sum",
            "earlier_count",
        )
        return {
            (partner_id, kind): dict(zip(keys, values, strict=True))
            for partner_id, kind, *values in self.env.cr.fetchall()
        }

    def action_view_satisfaction(self):
        self.ensure_one()
        return self._relationship_action(
            "relationship_mgmt.relationship_satisfaction_action",
            {"default_partner_id": self.commercial_partner_id.id},
        )

    # ---- Post-sale programs ----

    relationship_program_opt_out = fields.Boolean(
        string="No Post-sale Programs",
        help="The customer asked not to receive post-sale program emails, "
        "surveys or calls: running enrolments stop at their next step.",
    )
    program_enrolment_count = fields.Integer(
        compute="_compute_program_enrolment_count",
        groups="relationship_mgmt.group_relationship_user",
    )

    def _compute_program_enrolment_count(self):
        counts = self._relationship_counts("relationship.program.enrolment")
        for partner in self:
            partner.program_enrolment_count = counts.get(
                partner.commercial_partner_id, 0
            )

    def action_view_program_enrolments(self):
        return self._relationship_action(
            "relationship_mgmt.relationship_program_enrolment_action"
        )

    # ---- Cross-selling ----

    crosssell_recommendation_ids = fields.Many2many(
        "relationship.recommendation",
        string="Cross-sell Recommendations",
        compute="_compute_crosssell_recommendations",
        groups="relationship_mgmt.group_relationship_user",
        help="Open recommendations of the commercial entity in the current company.",
    )
    crosssell_recommendation_count = fields.Integer(
        string="Cross-sell",
        compute="_compute_crosssell_recommendations",
        groups="relationship_mgmt.group_relationship_user",
    )

    @api.depends("commercial_partner_id")
    @api.depends_context("company")
    def _compute_crosssell_recommendations(self):
        recommendations = self.env["relationship.recommendation"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
                ("state", "=", "open"),
            ]
        )
        by_partner = {}
        for recommendation in recommendations:
            by_partner.setdefault(recommendation.partner_id.id, []).append(
                recommendation.id
            )
        for partner in self:
            ids = by_partner.get(partner.commercial_partner_id.id, [])
            partner.crosssell_recommendation_ids = [fields.Command.set(ids)]
            partner.crosssell_recommendation_count = len(ids)

    def action_view_crosssell(self):
        return self._relationship_action(
            "relationship_mgmt.relationship_recommendation_action",
            {"search_default_filter_open": 1},
            domain=[("company_id", "=", self.env.company.id)],
        )

    # ---- Relationship summary (XML-RPC) ----
    # A customer's relationship summary in one call, for other systems (XML-RPC,
    # JSON-RPC): another ``_inherit`` of res.partner in its own file, next to
    # res_partner.py.

    @rpc.ids_first(lambda env: env._("partner ids"))
    def relationship_summary(self):
        """The relationship summary of these partners (their commercial
        entities' data) in the current company, as plain JSON-able data:
        engagement score, tier, trend, RFM segment and breakdown with its
        reasons in words, and the customer analytics. Other addons add their
        own keys (agreements, trust, disputes...). Dates are ISO 8601 strings,
        datetimes in UTC; a value that does not apply is False (XML-RPC has
        no null).

        :return: a list of dicts, one per partner, in the order of the ids
        """
        partners = self._relationship_summary_partners()
        company = self.env.company
        commercial_ids = partners.commercial_partner_id.ids
        domain = [
            ("partner_id", "in", commercial_ids),
            ("company_id", "=", company.id),
        ]
        engagements = self.env["relationship.engagement"].search(domain)
        present = engagements._engagement_optional_presence()
        engagement_by_partner = {record.partner_id.id: record for record in engagements}
        analytics = self.env["relationship.analytics"].search(domain)
        analytics_by_partner = {record.partner_id.id: record for record in analytics}
        return [
            {
                "id": partner.id,
                "name": partner.display_name,
                "customer_id": partner.commercial_partner_id.id,
                "company_id": company.id,
                "no_profiling": partner.commercial_partner_id.relationship_no_profiling,
                "engagement": self._relationship_summary_engagement(
                    engagement_by_partner.get(partner.commercial_partner_id.id),
                    present,
                ),
                "analytics": self._relationship_summary_analytics(
                    analytics_by_partner.get(partner.commercial_partner_id.id)
                ),
            }
            for partner in partners
        ]

    def _relationship_summary_partners(self):
        """These partners, once checked for the caller: a Relationships user,
        known ids, in a company the caller works in, readable."""
        _ = self.env._
        if not self.env.user.has_group("relationship_mgmt.group_relationship_user"):
            raise AccessError(
                _("Only Relationships users may read relationship summaries.")
            )
        ids = list(self._ids)
        if len(ids) > SUMMARY_LIMIT:
            raise UserError(
                _(
                    "A relationship summary reads at most %(limit)s partners per "
                    "call (%(count)s given): split the ids in smaller lists.",
                    limit=SUMMARY_LIMIT,
                    count=len(ids),
                )
            )
        partners = rpc.checked_records(self.env, "res.partner", ids, _("partner ids"))
        partners.check_access("read")
        return partners

    def _relationship_summary_engagement(self, engagement, present):
        """The summary of one engagement record (False without one)."""
        if not engagement:
            return False
        scored = engagement.tier != "new"
        return {
            "score": engagement.score if scored else False,
            "tier": engagement.tier,
            "trend": engagement.score_trend
            if scored and engagement.has_previous_score
            else False,
            "rfm_segment": engagement.rfm_segment or False,
            "breakdown": reason_dicts(
                engagement._engagement_reason_lines(present.get(engagement.id, set()))
            ),
            "date_computed": iso(engagement.date_computed),
        }

    def _relationship_summary_analytics(self, analytics):
        """The summary of one analytics record (False without one)."""
        if not analytics:
            return False
        return {
            "churn_risk": analytics.churn_risk if analytics.order_count else False,
            "churn_level": analytics.churn_level or False,
            "lifetime_value": analytics.lifetime_value,
            "currency": analytics.currency_id.name,
            "next_order_date": iso(analytics.next_order_date),
            "explanation": analytics._analytics_reasons(),
            "date_computed": iso(analytics.date_computed),
        }

    # ---- Data protection ----
    # Relationship data export and erasure (data protection requests). Another
    # ``_inherit`` of res.partner in its own file, next to res_partner.py, to keep the
    # privacy tools together.

    def _relationship_data_models(self):
        return list(RELATIONSHIP_DATA_MODELS)

    def _relationship_check_privacy_rights(self):
        if not self.env.user.has_group("relationship_mgmt.group_relationship_manager"):
            raise AccessError(
                self.env._(
                    "Only Relationships managers may export or erase a customer's "
                    "relationship data."
                )
            )
        # Over RPC the ids come unchecked: refuse wrong or unknown ones clearly.
        rpc.checked_records(
            self.env, "res.partner", list(self._ids), self.env._("partner ids")
        )

    @rpc.ids_first(lambda env: env._("partner ids"))
    def relationship_export_data(self):
        """Everything the relationship addons hold about these customers (and
        their contacts), as plain JSON-able data, limited to what the caller
        may read (their companies).

        :return: ``{"<partner id>": {"customer": name, "models": {model:
                 [rows]}}}`` (string keys, as XML-RPC and JSON need)
        """
        self._relationship_check_privacy_rights()
        result = {}
        for partner in self.commercial_partner_id:
            data = {}
            for model_name, field_name in self._relationship_data_models():
                if model_name not in self.env:
                    continue
                Model = self.env[model_name]
                names = [
                    name
                    for name, field in Model._fields.items()
                    if field.store and field.type not in SKIPPED_TYPES
                ]
                # Archived records are the customer's data too.
                rows = Model.with_context(active_test=False).search_read(
                    [(field_name, "=", partner.id)], names
                )
                data[model_name] = json.loads(json.dumps(rows, default=str))
            result[str(partner.id)] = {
                "customer": partner.display_name,
                "models": data,
            }
        return result

    def action_relationship_export(self):
        """Download the relationship data of this customer as a JSON file."""
        self.ensure_one()
        data = self.relationship_export_data()
        partner = self.commercial_partner_id
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"relationship-data-{partner.id}.json",
                "mimetype": "application/json",
                "raw": json.dumps(data, indent=2, ensure_ascii=False).encode(),
                "res_model": "res.partner",
                "res_id": partner.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    def action_relationship_export_report(self):
        """The same data as a readable page (printable to PDF)."""
        self._relationship_check_privacy_rights()
        return self.env.ref(
            "relationship_mgmt.relationship_privacy_report_action"
        ).report_action(self.commercial_partner_id)

    def _relationship_report_sections(self):
        """``[(model description, [(field label, value), ...] per row)]`` for
        the readable report."""
        self.ensure_one()
        sections = []
        for model_name, rows in self.relationship_export_data()[str(self.id)][
            "models"
        ].items():
            Model = self.env[model_name]
            labels = {name: field.string for name, field in Model._fields.items()}
            sections.append(
                (
                    Model._description,
                    [
                        [
                            (labels.get(name, name), value)
                            for name, value in row.items()
                            if value not in (False, None, "", [])
                        ]
                        for row in rows
                    ],
                )
            )
        return sections

    @rpc.ids_first(lambda env: env._("partner ids"))
    def relationship_erase_data(self):
        """Delete the relationship data of these customers in every company
        and record it in Odoo's privacy log when that module is installed.

        :return: ``{model: number of records deleted or anonymised}``
        """
        self._relationship_check_privacy_rights()
        commercial = self.commercial_partner_id
        if not commercial:
            raise UserError(self.env._("Select the customers to erase."))
        counts = {}
        # Deepest first (lines before their enrolment).
        for model_name, field_name in reversed(self._relationship_data_models()):
            if model_name not in self.env:
                continue
            # sudo: an erasure request covers the customer's data in every
            # company, including ones the manager does not work in.
            records = (
                self.env[model_name]
                .sudo()
                .with_context(active_test=False)
                .search([(field_name, "in", commercial.ids)])
            )
            counts[model_name] = commercial._relationship_erase_records(records)
        if "privacy.log" in self.env:
            for partner in commercial:
                # sudo: the log is technical; the manager's rights were checked.
                self.env["privacy.log"].sudo().create(
                    {
                        "anonymized_name": partner.name or "",
                        "anonymized_email": partner.email or "",
                        "execution_details": self.env._(
                            "Relationship data erased: %(details)s",
                            details=", ".join(
                                f"{model} {count}"
                                for model, count in counts.items()
                                if count
                            )
                            or self.env._("nothing held"),
                        ),
                        "records_description": ", ".join(sorted(counts)),
                    }
                )
        # sudo: posting on a contact needs the right to edit it, which a
        # Relationships manager need not have; the erasure itself was checked
        # above, and the note stays authored by the manager.
        commercial.sudo().message_post(
            body=self.env._(
                "Relationship data erased at the customer's request "
                "(%(count)s records).",
                count=sum(counts.values()),
            )
        )
        return counts

    def _relationship_erase_records(self, records):
        """Erase ``records`` (of a covered model, sudo) of the customers
        ``self``: delete them. Overrides may anonymise instead the records the
        law obliges to keep (accounting facts).

        :return: number of records erased (deleted or anonymised)
        """
        count = len(records)
        records.unlink()
        return count

    def action_relationship_erase_confirm(self):
        """The confirmation window of Action ▸ Erase Relationship Data."""
        self._relationship_check_privacy_rights()
        wizard = self.env["relationship.privacy.erase.wizard"].create(
            {"partner_ids": [Command.set(self.ids)]}
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Erase Relationship Data"),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_relationship_erase(self):
        self.relationship_erase_data()
        return actions.notification(
            self.env._("Relationship data erased"),
            self.env._(
                "Scores, history, analytics, interactions, satisfaction "
                "responses and program enrolments were deleted."
            ),
        )
