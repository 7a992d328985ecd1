from datetime import timedelta

from odoo import api, fields, models

# Obligation periods that ended within this many days, or still run, count.
OBLIGATION_DAYS = 365
# Partner tiers whose trust the dashboard follows, and how many are listed.
KEY_PARTNER_TIERS = ("strategic", "key")
TRUST_LISTED = 5
# Trust score from which a partner is trusted, or worth watching.
TRUST_GOOD, TRUST_FAIR = 70.0, 40.0


class RelationshipDashboard(models.AbstractModel):
    _inherit = "relationship.dashboard"

    @api.model
    def _dashboard_cards(self, companies):
        cards = super()._dashboard_cards(companies)
        if self.env["relationship.dispute"].has_access("read"):
            cards.append(self._card_dispute_sla(companies))
        if self.env["relationship.obligation.period"].has_access("read"):
            cards.append(self._card_obligations(companies))
        if self.env["relationship.trust.snapshot"].has_access("read"):
            cards.append(self._card_key_partner_trust(companies))
        return cards

    # ---- SLA compliance of open disputes ----

    @api.model
    def _card_dispute_sla(self, companies):
        Dispute = self.env["relationship.dispute"]
        domain = [("company_id", "in", companies.ids), ("is_closed", "=", False)]
        counts = dict(Dispute._read_group(domain, ["sla_state"], ["__count"]))
        _ = self.env._
        labels = dict(Dispute._fields["sla_state"]._description_selection(self.env))
        tracked = sum(counts.get(state, 0) for state in ("ok", "at_risk", "breached"))
        within = counts.get("ok", 0) + counts.get("at_risk", 0)
        total = sum(counts.values())
        items = self._count_items(
            "sla_state",
            counts,
            labels,
            (
                ("ok", "success"),
                ("at_risk", "warning"),
                ("breached", "danger"),
                ("none", "secondary"),
            ),
        )
        compliance = round(100.0 * within / tracked, 1) if tracked else False
        return self._card(
            "dispute_sla",
            _("SLA of Open Disputes"),
            60,
            self._card_action(
                "relationship_brm.relationship_dispute_action",
                domain,
                name=_("Open Disputes"),
            ),
            value=compliance,
            value_display=f"{compliance:.0f} %" if tracked else "—",
            unit=_("of open disputes within their SLA"),
            subtitle=_(
                "%(total)s open disputes, %(breached)s past their SLA.",
                total=total,
                breached=counts.get("breached", 0),
            ),
            items=items,
            empty=False
            if total
            else _(
                "No open dispute. Open one from an invoice, order or delivery with "
                "Open Dispute, or under Business Partners › Disputes."
            ),
        )

    # ---- Obligations breached ----

    @api.model
    def _card_obligations(self, companies):
        Period = self.env["relationship.obligation.period"]
        since = fields.Date.context_today(self) - timedelta(days=OBLIGATION_DAYS)
        domain = [("company_id", "in", companies.ids), ("date_to", ">=", since)]
        rows = Period._read_group(
            domain, ["status"], ["__count", "agreement_id:count_distinct"]
        )
        counts = {status: count for status, count, __ in rows}
        agreements = {status: number for status, __, number in rows}
        _ = self.env._
        labels = dict(Period._fields["status"]._description_selection(self.env))
        total = sum(counts.values())
        breached = counts.get("breached", 0)
        return self._card(
            "obligations",
            _("Obligations Breached"),
            70,
            self._card_action(
                "relationship_brm.relationship_obligation_period_action",
                domain,
                name=_("Obligation Periods"),
            ),
            value=breached,
            value_display=str(breached),
            unit=_("obligation periods breached in the last 12 months"),
            subtitle=_(
                "%(agreements)s agreements concerned, %(at_risk)s periods at risk.",
                agreements=agreements.get("breached", 0),
                at_risk=counts.get("at_risk", 0),
            ),
            items=self._count_items(
                "status",
                counts,
                labels,
                (
                    ("breached", "danger"),
                    ("at_risk", "warning"),
                    ("met", "success"),
                    ("no_data", "secondary"),
                ),
            ),
            empty=False
            if total
            else _(
                "No obligation measured yet. %(hint)s",
                hint=self._refresh_hint(_("Measure All Obligations")),
            ),
        )

    # ---- Trust of key partners ----

    @api.model
    def _card_key_partner_trust(self, companies):
        Trust = self.env["relationship.trust.snapshot"]
        domain = [
            ("company_id", "in", companies.ids),
            ("is_current", "=", True),
            ("partner_id.relationship_tier", "in", KEY_PARTNER_TIERS),
        ]
        # A partner's current score in each company it is scored in, averaged.
        scores = sorted(
            Trust._read_group(domain, ["partner_id"], ["score:avg"]),
            key=lambda row: (row[1], row[0].id),
        )
        _ = self.env._
        tiers = dict(
            self.env["res.partner"]
            ._fields["relationship_tier"]
            ._description_selection(self.env)
        )
        average = (
            round(sum(score for __, score in scores) / len(scores), 1) if scores else 0
        )
        return self._card(
            "key_partner_trust",
            _("Trust of Key Partners"),
            80,
            self._card_action(
                "relationship_brm.relationship_trust_dashboard_action",
                domain,
                name=_("Trust of Key Partners"),
            ),
            value=average if scores else False,
            value_display=f"{average:.0f}" if scores else "",
            unit=_(
                "average trust (0-100) of %(tiers)s partners",
                tiers=" / ".join(tiers[tier] for tier in KEY_PARTNER_TIERS),
            ),
            subtitle=_(
                "%(count)s partners; the least trusted first.", count=len(scores)
            ),
            items=[
                {
                    "key": str(partner.id),
                    "label": partner.display_name,
                    "value": round(score, 1),
                    "value_display": f"{score:.0f}",
                    "percent": round(score, 1),
                    "tone": "success"
                    if score >= TRUST_GOOD
                    else "warning"
                    if score >= TRUST_FAIR
                    else "danger",
                    "domain": [("partner_id", "=", partner.id)],
                }
                for partner, score in scores[:TRUST_LISTED]
            ],
            empty=False
            if scores
            else _(
                "No trust score for Strategic or Key partners yet. Set the Partner "
                "Tier of your business partners; %(hint)s",
                hint=self._refresh_hint(_("Recompute All Trust Scores")),
            ),
        )
