from odoo import api, fields, models

# Trace status -> (interaction outcome, direction, datetime field of the trace).
LOGGED_STATUSES = {
    "sent": ("no_answer", "outbound", "sent_datetime"),
    "open": ("neutral", "outbound", "open_datetime"),
    "reply": ("positive", "inbound", "reply_datetime"),
    "bounce": ("negative", "outbound", "write_date"),
}
TRACE_CHANNELS = {"mail": "email"}


class MailingTrace(models.Model):
    """A mass mailing to customers (``res.partner`` recipients) is a contact
    with each of them: its trace is logged as one interaction that follows
    the trace's status (sent: no answer yet, opened: neutral, replied:
    positive and inbound, bounced: negative)."""

    _inherit = "mailing.trace"

    @api.model_create_multi
    def create(self, vals_list):
        traces = super().create(vals_list)
        traces._relationship_log_interactions()
        return traces

    def write(self, vals):
        result = super().write(vals)
        if "trace_status" in vals:
            self._relationship_log_interactions()
        return result

    def _relationship_log_interactions(self):
        traces = self.filtered(
            lambda t: (
                t.model == "res.partner"
                and t.res_id
                and t.trace_status in LOGGED_STATUSES
            )
        )
        if not traces:
            return
        # sudo: traces change status from the mail gateway and the public
        # tracking routes; the interaction only records what the trace says.
        Interaction = self.env["relationship.interaction"].sudo()
        partners = self.env["res.partner"].sudo().browse(traces.mapped("res_id"))
        partners = partners.exists()
        logged = {
            interaction.mailing_trace_id.id: interaction
            for interaction in Interaction.search(
                [("mailing_trace_id", "in", traces.ids)]
            )
        }
        now = fields.Datetime.now()
        vals_list = []
        for trace in traces:
            partner = partners.browse(trace.res_id)
            if partner not in partners:
                continue
            vals = trace._relationship_interaction_vals(partner, now)
            interaction = logged.get(trace.id)
            if interaction:
                interaction.write(
                    {key: vals[key] for key in ("name", "outcome", "direction", "date")}
                )
            else:
                vals_list.append(vals)
        Interaction.create(vals_list)

    def _relationship_interaction_vals(self, partner, now):
        self.ensure_one()
        outcome, direction, date_field = LOGGED_STATUSES[self.trace_status]
        mailing = self.mass_mailing_id
        labels = dict(self._fields["trace_status"]._description_selection(self.env))
        commercial = partner.commercial_partner_id
        company = (
            mailing.user_id.company_id or commercial.company_id or self.env.company
        )
        return {
            "name": self.env._(
                "Mailing %(subject)s: %(status)s",
                subject=mailing.subject or mailing.name or "",
                status=labels[self.trace_status],
            ),
            "partner_id": commercial.id,
            "contact_id": partner.id if partner != commercial else False,
            "company_id": company.id,
            "channel": TRACE_CHANNELS.get(self.trace_type, "other"),
            "direction": direction,
            "outcome": outcome,
            "date": min(self[date_field] or now, now),
            "user_id": mailing.user_id.id,
            "res_model": "mailing.mailing" if mailing else False,
            "res_id": mailing.id,
            "mailing_trace_id": self.id,
        }
