from odoo import api, fields, models

from odoo.addons.relationship_mgmt.engine.signals import RELATIONSHIP_USER_GROUP

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
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_brm.relationship_agreement_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_view_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_brm.relationship_dispute_action"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id)
        ]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "search_default_filter_open": 1,
        }
        return action

    def action_open_relationship_dispute(self):
        """Open a new dispute form with this partner."""
        self.ensure_one()
        return self.env["relationship.dispute"]._action_new_dispute(
            self, self.env.company
        )

    def action_view_trust_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_brm.relationship_trust_snapshot_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    def action_recompute_trust(self):
        self.env["relationship.trust.snapshot"].recompute_trust(self.ids)
        return True
