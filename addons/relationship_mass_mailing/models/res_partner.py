from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.relationship_mgmt.engine.engagement import partner_filter
from odoo.addons.relationship_mgmt.models.relationship_interaction import CHANNELS
from odoo.addons.relationship_mgmt.tools import rpc

from ..engine.channels import best_channels


class ResPartner(models.Model):
    """Segments a mailing (or a program) can select customers by, beside the
    engagement tier, RFM segment and churn level of relationship_mgmt (all
    searchable, so a mailing's recipients are a live domain): the programs a
    customer is enrolled in and its best channel."""

    _inherit = "res.partner"

    relationship_program_ids = fields.Many2many(
        "relationship.program",
        string="Running Programs",
        compute="_compute_relationship_program_ids",
        search="_search_relationship_program_ids",
        help="Post-sale programs the customer has a running enrolment in, in the "
        "current company.",
    )
    relationship_best_channel = fields.Selection(
        CHANNELS,
        string="Best Channel",
        compute="_compute_relationship_best_channel",
        search="_search_relationship_best_channel",
        help="The channel whose interactions with the customer have a positive "
        "outcome most often, in the current company.",
    )
    relationship_best_channel_count = fields.Integer(
        string="Best Channel Based On",
        compute="_compute_relationship_best_channel",
        help="How many interactions (with an outcome) the best channel rests on.",
    )
    relationship_best_channel_rate = fields.Float(
        string="Best Channel Positive Rate (%)",
        compute="_compute_relationship_best_channel",
        digits=(5, 1),
    )

    # ---- Computes and searches ----

    @api.depends_context("company")
    def _compute_relationship_program_ids(self):
        groups = (
            self.env["relationship.program.enrolment"]
            .sudo()  # sudo: which programs, not the enrolments themselves
            ._read_group(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                    ("state", "=", "running"),
                ],
                ["partner_id"],
                ["program_id:recordset"],
            )
        )
        programs = dict(groups)
        for partner in self:
            partner.relationship_program_ids = programs.get(
                partner.commercial_partner_id,
                self.env["relationship.program"],
            ).with_env(self.env)

    def _search_relationship_program_ids(self, operator, value):
        query = (
            self.env["relationship.program.enrolment"]
            .sudo()  # sudo: see _compute_relationship_program_ids
            ._search(
                [
                    ("program_id", operator, value),
                    ("company_id", "=", self.env.company.id),
                    ("state", "=", "running"),
                ]
            )
        )
        return [
            (
                "commercial_partner_id",
                "in",
                query.subselect(
                    SQL.identifier("relationship_program_enrolment", "partner_id")
                ),
            )
        ]

    @api.depends_context("company")
    def _compute_relationship_best_channel(self):
        commercial = self.commercial_partner_id
        self.env["relationship.interaction"].flush_model(
            ["partner_id", "company_id", "channel", "outcome"]
        )
        self.env.cr.execute(
            best_channels(
                self.env.company.id, partner_filter("i.partner_id", commercial.ids)
            )
        )
        best = {
            partner_id: (channel, total, positive)
            for partner_id, channel, total, positive in self.env.cr.fetchall()
        }
        for partner in self:
            channel, total, positive = best.get(
                partner.commercial_partner_id.id, (False, 0, 0)
            )
            partner.relationship_best_channel = channel
            partner.relationship_best_channel_count = total
            partner.relationship_best_channel_rate = (
                round(100.0 * positive / total, 1) if total else 0.0
            )

    def _search_relationship_best_channel(self, operator, value):
        if operator not in ("=", "in"):
            raise UserError(
                self.env._(
                    "Best channel: search with = or in (got %(operator)s).",
                    operator=operator,
                )
            )
        channels = [value] if isinstance(value, str) else list(value or [])
        self.env["relationship.interaction"].flush_model(
            ["partner_id", "company_id", "channel", "outcome"]
        )
        query = SQL(
            "(SELECT partner_id FROM (%s) best WHERE channel = ANY(%s))",
            best_channels(self.env.company.id, SQL("TRUE")),
            channels,
        )
        return [("commercial_partner_id", "in", query)]

    # ---- Relationship summary (XML-RPC) ----

    # The override keeps the check of the ids that come from outside.
    @rpc.ids_first(lambda env: env._("partner ids"))
    def relationship_summary(self):
        """Adds ``best_channel`` to each partner's summary, in the current
        company: ``{"channel", "interaction_count", "positive_rate"}``, or
        False while no interaction had a positive outcome."""
        result = super().relationship_summary()
        partners = self.browse([row["id"] for row in result])
        for row, partner in zip(result, partners, strict=True):
            row["best_channel"] = partner.relationship_best_channel and {
                "channel": partner.relationship_best_channel,
                "interaction_count": partner.relationship_best_channel_count,
                "positive_rate": partner.relationship_best_channel_rate,
            }
        return result
