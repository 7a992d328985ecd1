from odoo import models
from odoo.tools import html2plaintext

from odoo.addons.relationship_mgmt.tools import rpc

# Business relationship data about a customer, with the field naming the
# commercial customer, added to relationship_mgmt's export and erasure. Erased
# deepest first: snapshots, then discounts, then the disputes they belong to.
BRM_DATA_MODELS = (
    ("relationship.dispute", "commercial_partner_id"),
    ("relationship.dispute.discount", "partner_id"),
    ("relationship.trust.snapshot", "partner_id"),
)
# A dispute tied to any of these is part of the accounting or stock history
# (the disputed document, the credit notes, returns and replacements it
# made): it is anonymised on erasure, never deleted.
DISPUTE_DOCUMENT_FIELDS = (
    "move_id",
    "move_line_ids",
    "credit_note_ids",
    "sale_order_id",
    "purchase_order_id",
    "picking_id",
    "picking_ids",
    "discount_ids",
)


class ResPartner(models.Model):
    """Disputes, their discounts and trust snapshots in the data protection
    tools of relationship_mgmt (export, erasure, no profiling)."""

    _inherit = "res.partner"

    def _relationship_data_models(self):
        return super()._relationship_data_models() + list(BRM_DATA_MODELS)

    @rpc.ids_first(lambda env: env._("partner ids"))
    def relationship_export_data(self):
        result = super().relationship_export_data()
        rows = [
            row
            for customer in result.values()
            for row in customer["models"].get("relationship.dispute", [])
        ]
        if rows:
            # The description is HTML (left out by the generic export): give
            # it as text. The portal token is a credential, not data.
            disputes = (
                self.env["relationship.dispute"]
                .with_context(active_test=False)
                .browse([row["id"] for row in rows])
            )
            descriptions = {dispute.id: dispute.description for dispute in disputes}
            for row in rows:
                row.pop("access_token", None)
                row["description"] = html2plaintext(descriptions[row["id"]] or "")
        return result

    def _relationship_erase_records(self, records):
        if records._name == "relationship.dispute.discount":
            # A pending discount is what we still owe the customer and a used
            # one is part of an order's price: both are kept (they hold
            # amounts, no personal text). Cancelled ones are deleted.
            return super()._relationship_erase_records(
                records.filtered(lambda d: d.state == "cancelled")
            )
        if records._name == "relationship.dispute":
            kept = records.filtered(
                lambda d: (
                    d.amount_resolved
                    or any(d[fname] for fname in DISPUTE_DOCUMENT_FIELDS)
                )
            )
            self._relationship_anonymise_disputes(kept)
            return len(kept) + super()._relationship_erase_records(records - kept)
        # Trust snapshots (derived scores): deleted like the other scores.
        return super()._relationship_erase_records(records)

    def _relationship_anonymise_disputes(self, disputes):
        """Blank what the customer told us in ``disputes`` (subject,
        description, addresses, resolution note, chatter, attachments, portal
        link, the customer's followers) and keep the facts: documents,
        amounts, resolution, dates, stage."""
        if not disputes:
            return
        disputes.with_context(tracking_disable=True).write(
            {
                "name": self.env._("Anonymised dispute"),
                "description": False,
                "email_from": False,
                "email_cc": False,
                "resolution_note": False,
                "access_token": False,
            }
        )
        # The chatter holds the customer's emails and the tracked former
        # subjects: deleted with their tracking values, like the chatter of a
        # deleted record.
        domain = [("model", "=", disputes._name), ("res_id", "in", disputes.ids)]
        self.env["mail.message"].sudo().search(domain).unlink()
        self.env["ir.attachment"].sudo().search(
            [("res_model", "=", disputes._name), ("res_id", "in", disputes.ids)]
        ).unlink()
        contacts = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("id", "child_of", self.ids)])
        )
        disputes.message_unsubscribe(partner_ids=contacts.ids)
        disputes._message_log_batch(
            bodies=dict.fromkeys(
                disputes.ids,
                self.env._("Anonymised at the customer's request."),
            )
        )

    def _relationship_drop_profiles(self):
        result = super()._relationship_drop_profiles()
        commercial = self.filtered("relationship_no_profiling").commercial_partner_id
        if commercial:
            # sudo: the opt-out removes the trust scores of every company,
            # whoever records it.
            self.env["relationship.trust.snapshot"].sudo().search(
                [("partner_id", "in", commercial.ids)]
            ).unlink()
        return result
