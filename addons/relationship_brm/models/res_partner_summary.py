from odoo import models

from odoo.addons.relationship_mgmt.tools import rpc
from odoo.addons.relationship_mgmt.tools.rpc import iso, reason_dicts

from .relationship_agreement import RUNNING_STATES


class ResPartner(models.Model):
    """The business side of the relationship summary (see relationship_mgmt's
    res_partner_summary.py): running agreements with their obligation status,
    trust and open disputes."""

    _inherit = "res.partner"

    @rpc.ids_first(lambda env: env._("partner ids"))
    def relationship_summary(self):
        """Adds to each partner's summary, in the current company:
        ``agreements`` (running ones, each with its ``obligations`` and their
        last measured period), ``trust`` (score, breakdown, date; False before
        the first computation) and ``open_dispute_count`` (False when no module
        tracks disputes)."""
        result = super().relationship_summary()
        # The partners were checked by super(); the ids come back in order.
        partners = self.browse([row["id"] for row in result])
        commercial = partners.commercial_partner_id
        company = self.env.company
        agreements = self.env["relationship.agreement"].search(
            [
                ("partner_id", "in", commercial.ids),
                ("company_id", "=", company.id),
                ("state", "in", RUNNING_STATES),
            ]
        )
        obligations = agreements._agreement_obligation_rows()
        agreements_by_partner = {}
        for agreement in agreements:
            agreements_by_partner.setdefault(agreement.partner_id.id, []).append(
                dict(
                    agreement._agreement_summary_row(),
                    obligations=obligations[agreement.id],
                )
            )
        snapshots = self.env["relationship.trust.snapshot"].search(
            [
                ("partner_id", "in", commercial.ids),
                ("company_id", "=", company.id),
                ("is_current", "=", True),
            ]
        )
        trust_by_partner = {
            snapshot.partner_id.id: {
                "score": snapshot.score,
                "date": iso(snapshot.date),
                "breakdown": reason_dicts(snapshot._trust_reason_lines()),
            }
            for snapshot in snapshots
        }
        disputes = commercial._relationship_open_dispute_counts()
        for row, partner in zip(result, partners, strict=True):
            key = partner.commercial_partner_id.id
            row["agreements"] = agreements_by_partner.get(key, [])
            row["trust"] = trust_by_partner.get(key, False)
            row["open_dispute_count"] = (
                False if disputes is None else disputes.get(key, 0)
            )
        return result
