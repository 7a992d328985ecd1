from odoo import api, fields, models
from odoo.tools import html2plaintext

from odoo.addons.relationship_mgmt.engine.signals import RELATIONSHIP_USER_GROUP
from odoo.addons.relationship_mgmt.tools import rpc
from odoo.addons.relationship_mgmt.tools.rpc import iso, reason_dicts

from .relationship_agreement import OPEN_STATES, RUNNING_STATES

RELATIONSHIP_TIERS = [
    ("strategic", "Strategic"),
    ("key", "Key"),
    ("preferred", "Preferred"),
    ("standard", "Standard"),
]

RELATIONSHIP_STATUSES = [
    ("prospect", "Prospect"),
    ("active", "Active"),
    ("on_hold", "On Hold"),
    ("ended", "Ended"),
]

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
    _inherit = "res.partner"

    relationship_type_ids = fields.Many2many(
        "relationship.partner.type",
        string="Relationship Types",
        help="What the partner is to us; several may apply.",
    )
    relationship_manager_id = fields.Many2one(
        "res.users",
        domain="[('share', '=', False)]",
    )
    relationship_tier = fields.Selection(RELATIONSHIP_TIERS, string="Partner Tier")
    relationship_start_date = fields.Date(
        string="Relationship Since",
        help="Start of the business relationship; when empty, the first "
        "agreement, order or invoice tells it.",
    )
    relationship_status = fields.Selection(RELATIONSHIP_STATUSES)
    agreement_ids = fields.One2many(
        "relationship.agreement",
        "partner_id",
        string="Agreements",
        groups=RELATIONSHIP_USER_GROUP,
    )
    agreement_open_count = fields.Integer(
        string="Open Agreements",
        compute="_compute_agreement_counts",
        groups=RELATIONSHIP_USER_GROUP,
    )
    agreement_running_count = fields.Integer(
        string="Running Agreements",
        compute="_compute_agreement_counts",
        groups=RELATIONSHIP_USER_GROUP,
    )
    dispute_open_count = fields.Integer(
        string="Open Disputes",
        compute="_compute_dispute_open_count",
        groups=RELATIONSHIP_USER_GROUP,
    )
    trust_snapshot_id = fields.Many2one(
        "relationship.trust.snapshot",
        string="Current Trust",
        compute="_compute_trust",
        groups=RELATIONSHIP_USER_GROUP,
    )
    trust_score = fields.Float(
        compute="_compute_trust", digits=(5, 1), groups=RELATIONSHIP_USER_GROUP
    )
    trust_date = fields.Date(
        string="Trust Computed",
        compute="_compute_trust",
        groups=RELATIONSHIP_USER_GROUP,
    )
    trust_breakdown = fields.Html(
        compute="_compute_trust", sanitize=False, groups=RELATIONSHIP_USER_GROUP
    )

    @api.depends("commercial_partner_id")
    def _compute_agreement_counts(self):
        groups = self.env["relationship.agreement"]._read_group(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("state", "in", OPEN_STATES),
            ],
            ["partner_id", "state"],
            ["__count"],
        )
        open_counts, running_counts = {}, {}
        for partner, state, count in groups:
            open_counts[partner.id] = open_counts.get(partner.id, 0) + count
            if state in RUNNING_STATES:
                running_counts[partner.id] = running_counts.get(partner.id, 0) + count
        for partner in self:
            commercial = partner.commercial_partner_id.id
            partner.agreement_open_count = open_counts.get(commercial, 0)
            partner.agreement_running_count = running_counts.get(commercial, 0)

    @api.depends_context("company")
    def _compute_dispute_open_count(self):
        counts = self._relationship_open_dispute_counts() or {}
        for partner in self:
            partner.dispute_open_count = counts.get(partner.commercial_partner_id.id, 0)

    def _relationship_open_dispute_counts(self):
        """``{commercial partner id: open disputes}`` in the current company
        (one read_group)."""
        return self.env["relationship.dispute"]._open_counts(
            self.env.company, self.commercial_partner_id.ids
        )

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_trust(self):
        snapshots = self.env["relationship.trust.snapshot"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
                ("is_current", "=", True),
            ]
        )
        by_partner = {snapshot.partner_id.id: snapshot for snapshot in snapshots}
        Snapshot = self.env["relationship.trust.snapshot"]
        for partner in self:
            snapshot = by_partner.get(partner.commercial_partner_id.id, Snapshot)
            partner.trust_snapshot_id = snapshot
            partner.trust_score = snapshot.score
            partner.trust_date = snapshot.date
            partner.trust_breakdown = snapshot.breakdown

    def action_view_agreements(self):
        self.ensure_one()
        return self._relationship_action(
            "relationship_brm.relationship_agreement_action",
            {"default_partner_id": self.commercial_partner_id.id},
        )

    def action_view_disputes(self):
        self.ensure_one()
        return self._relationship_action(
            "relationship_brm.relationship_dispute_action",
            {
                "default_partner_id": self.commercial_partner_id.id,
                "search_default_filter_open": 1,
            },
            partner_field="commercial_partner_id",
        )

    def action_open_relationship_dispute(self):
        """Open a new dispute form with this partner."""
        self.ensure_one()
        return self.env["relationship.dispute"]._action_new_dispute(
            self, self.env.company
        )

    def action_view_trust_history(self):
        return self._relationship_action(
            "relationship_brm.relationship_trust_snapshot_action"
        )

    def action_recompute_trust(self):
        self.env["relationship.trust.snapshot"].recompute_trust(self.ids)
        return True

    # ---- Dispute discounts ----

    relationship_pending_discount_ids = fields.One2many(
        "relationship.dispute.discount",
        "partner_id",
        string="Pending Dispute Discounts",
        domain=[("state", "=", "pending")],
        groups="relationship_mgmt.group_relationship_user",
        help="Discounts granted to settle disputes, taken by the next confirmed "
        "sales order of this customer.",
    )

    # ---- Relationship summary (XML-RPC) ----
    # The business side of the relationship summary (see relationship_mgmt's
    # res_partner_summary.py): running agreements with their obligation status, trust
    # and open disputes.

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

    # ---- Data protection ----
    # Disputes, their discounts and trust snapshots in the data protection tools of
    # relationship_mgmt (export, erasure, no profiling).

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
