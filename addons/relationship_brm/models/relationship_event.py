from odoo import api, fields, models


class RelationshipEvent(models.Model):
    _inherit = "relationship.event"

    event_type = fields.Selection(
        selection_add=[
            ("obligation_breached", "Obligation breached"),
            ("dispute_sla_breached", "Dispute SLA breached"),
        ],
        ondelete={
            "obligation_breached": "cascade",
            "dispute_sla_breached": "cascade",
        },
    )

    @api.model
    def _emit_breach_events(self, periods):
        """One ``obligation_breached`` event per period of ``periods`` (the
        periods an obligation refresh found newly breached; it marks them
        notified, so a second refresh emits nothing), created in one batch.
        ``old_value`` is the period's target, ``new_value`` its status."""
        texts = periods._breach_texts()  # one query for every description
        return self._emit(
            [
                {
                    "event_type": "obligation_breached",
                    "partner_id": period.partner_id.id,
                    "company_id": period.company_id.id,
                    "res_model": period._name,
                    "res_id": period.id,
                    "old_value": f"{period.target:g}",
                    "new_value": "breached",
                    "description": texts[period.id][2],
                }
                for period in periods
            ]
        )
