from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .relationship_satisfaction import NPS_CATEGORIES

# The trend compares the average 0-100 score of the last TREND_DAYS days with
# the TREND_DAYS days before; smaller moves are "stable".
TREND_DAYS = 90
TREND_STABLE = 5.0


class ResPartner(models.Model):
    """CSAT and NPS of the customer (its commercial entity), in the companies
    the user works in."""

    _inherit = "res.partner"

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
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_mgmt.relationship_satisfaction_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action
