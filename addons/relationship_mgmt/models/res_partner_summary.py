from odoo import models
from odoo.exceptions import AccessError, UserError

from ..tools import rpc
from ..tools.rpc import iso, reason_dicts

# Partners one summary call reads at most: a client pages through more.
SUMMARY_LIMIT = 1000


class ResPartner(models.Model):
    """A customer's relationship summary in one call, for other systems
    (XML-RPC, JSON-RPC): another ``_inherit`` of res.partner in its own file,
    next to res_partner.py."""

    _inherit = "res.partner"

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
