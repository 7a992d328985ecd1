from odoo import models
from odoo.tools import html2plaintext


class MailMessage(models.Model):
    _inherit = "mail.message"

    def _relationship_interaction_vals(self):
        """Values of the interaction logged from this message, or None when
        it concerns no customer."""
        self.ensure_one()
        customer = self.env["res.partner"]
        record = None
        if self.model and self.res_id and self.model in self.env:
            record = self.env[self.model].browse(self.res_id).exists()
        if record and self.model == "res.partner":
            customer = record
        elif record and "partner_id" in record._fields:
            customer = record.partner_id
        elif self.author_id and not self.author_id.user_ids.filtered(
            lambda user: not user.share
        ):
            customer = self.author_id
        commercial = customer.commercial_partner_id
        if not commercial:
            return None
        author = self.author_id
        inbound = author and author.commercial_partner_id == commercial
        company = record.company_id if record and "company_id" in record else None
        vals = {
            "name": self.subject
            or self.record_name
            or html2plaintext(self.body or "")[:80]
            or self.env._("Message"),
            "partner_id": commercial.id,
            "contact_id": author.id if inbound and author != commercial else False,
            "company_id": (company or self.env.company).id,
            "channel": "email" if self.message_type == "email" else "other",
            "direction": "inbound" if inbound else "outbound",
            "date": self.date,
            "summary": self.body,
            "message_id": self.id,
        }
        if record and self.model != "res.partner":
            vals.update(res_model=self.model, res_id=self.res_id)
        return vals
