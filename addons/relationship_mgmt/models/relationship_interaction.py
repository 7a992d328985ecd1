from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import rpc

CHANNELS = [
    ("email", "Email"),
    ("phone", "Phone"),
    ("meeting", "Meeting"),
    ("chat", "Chat"),
    ("social", "Social Media"),
    ("website", "Website"),
    ("in_person", "In Person"),
    ("other", "Other"),
]
DIRECTIONS = [("inbound", "Inbound"), ("outbound", "Outbound")]
OUTCOMES = [
    ("positive", "Positive"),
    ("neutral", "Neutral"),
    ("negative", "Negative"),
    ("no_answer", "No Answer"),
]


class RelationshipInteraction(models.Model):
    """One contact with a customer: a call, a meeting, an email... Logging an
    interaction posts nothing in the chatter, so that the engagement score
    never counts the same contact twice (see readme/USAGE.md)."""

    _name = "relationship.interaction"
    _description = "Customer Interaction"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Subject", required=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('parent_id', '=', False)]",
        help="The commercial entity the interaction is counted for.",
    )
    contact_id = fields.Many2one(
        "res.partner",
        ondelete="set null",
        domain="[('commercial_partner_id', '=', partner_id)]",
        help="The person of the customer taking part, if known.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    channel = fields.Selection(CHANNELS, required=True, default="phone")
    direction = fields.Selection(DIRECTIONS, required=True, default="outbound")
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    user_id = fields.Many2one(
        "res.users",
        string="Logged by",
        default=lambda self: self.env.user,
        check_company=True,
    )
    summary = fields.Html()
    outcome = fields.Selection(OUTCOMES)
    res_model = fields.Char(
        string="Related Document Model",
        help="Technical name of the model of the related document, e.g. sale.order.",
    )
    res_id = fields.Many2oneReference(
        string="Related Document ID", model_field="res_model"
    )
    res_reference = fields.Char(
        string="Related Document", compute="_compute_res_reference"
    )
    message_id = fields.Many2one(
        "mail.message",
        string="Chatter Message",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The chatter message this interaction was logged from: the "
        "engagement score counts the two only once.",
    )

    _sql_constraints = [
        (
            "message_uniq",
            "unique(message_id)",
            "A chatter message is logged as one interaction at most.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("contact_id")
    def _compute_partner_id(self):
        for interaction in self:
            if interaction.contact_id:
                interaction.partner_id = interaction.contact_id.commercial_partner_id

    @api.depends("res_model", "res_id")
    def _compute_res_reference(self):
        for interaction in self:
            reference = False
            if interaction.res_model in self.env and interaction.res_id:
                record = self.env[interaction.res_model].browse(interaction.res_id)
                # sudo: only the display name of a record the interaction
                # points to, which the user chose or may see in the chatter.
                reference = record.sudo().exists().display_name or False
            interaction.res_reference = reference

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("partner_id", "contact_id")
    def _check_contact_id(self):
        for interaction in self:
            partner = interaction.partner_id
            if partner != partner.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "Interaction “%(subject)s”: %(partner)s is a contact of "
                        "%(customer)s; log the interaction for the customer.",
                        subject=interaction.name,
                        partner=partner.display_name,
                        customer=partner.commercial_partner_id.display_name,
                    )
                )
            contact = interaction.contact_id
            if contact and contact.commercial_partner_id != partner:
                raise ValidationError(
                    self.env._(
                        "Interaction “%(subject)s”: the contact %(contact)s does "
                        "not belong to the customer %(customer)s.",
                        subject=interaction.name,
                        contact=contact.display_name,
                        customer=partner.display_name,
                    )
                )

    @api.constrains("date")
    def _check_date(self):
        today = fields.Date.context_today(self)
        for interaction in self:
            day = fields.Datetime.context_timestamp(self, interaction.date).date()
            if day > today:
                raise ValidationError(
                    self.env._(
                        "Interaction “%(subject)s”: %(date)s is in the future; "
                        "log interactions that took place, and plan the others "
                        "as activities.",
                        subject=interaction.name,
                        date=day,
                    )
                )

    @api.constrains("res_model", "res_id")
    def _check_related_document(self):
        for interaction in self:
            model, res_id = interaction.res_model, interaction.res_id
            if not model and not res_id:
                continue
            if not model or not res_id:
                raise ValidationError(
                    self.env._(
                        "Interaction “%(subject)s”: a related document needs both "
                        "its model and its ID.",
                        subject=interaction.name,
                    )
                )
            if (
                model not in self.env
                or self.env[model]._abstract
                or not self.env[model].browse(res_id).exists()
            ):
                raise ValidationError(
                    self.env._(
                        "Interaction “%(subject)s”: the related document "
                        "%(model)s,%(id)s does not exist.",
                        subject=interaction.name,
                        model=model,
                        id=res_id,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # The access right first: the checks below read the customers.
        self.check_access("create")
        for vals in vals_list:
            self._check_interaction_vals(vals)
            self._normalize_partner_vals(vals)
        interactions = super().create(vals_list)
        interactions._mark_customers()
        return interactions

    def write(self, vals):
        tracked = {"partner_id", "company_id", "date", "message_id"}
        if not tracked & vals.keys():
            return super().write(vals)
        self._mark_customers()
        result = super().write(vals)
        self._mark_customers()
        return result

    def unlink(self):
        self._mark_customers()
        return super().unlink()

    @api.model
    def _check_interaction_vals(self, vals):
        """Values logged by other systems (XML-RPC) are checked before the ORM
        sees them: a wrong id, date or choice gets a clear error instead of a
        database one."""
        _ = self.env._
        for name in ("partner_id", "contact_id", "user_id", "company_id"):
            value = vals.get(name)
            field = self._fields[name]
            if value and (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not self.env[field.comodel_name].browse(value).exists()
            ):
                raise ValidationError(
                    _(
                        "Interaction: %(value)r is not the id of an existing "
                        "%(field)s.",
                        value=value,
                        field=field.string,
                    )
                )
        for name in ("channel", "direction", "outcome"):
            value = vals.get(name)
            allowed = self._fields[name].get_values(self.env)
            if value and value not in allowed:
                raise ValidationError(
                    _(
                        "Interaction: %(value)r is not a valid %(field)s; use one "
                        "of %(allowed)s.",
                        value=value,
                        field=self._fields[name].string,
                        allowed=", ".join(allowed),
                    )
                )
        if vals.get("date"):
            try:
                fields.Datetime.to_datetime(vals["date"])
            except (TypeError, ValueError):
                raise ValidationError(
                    _(
                        "Interaction: %(value)r is not a date and time "
                        "(YYYY-MM-DD HH:MM:SS, UTC).",
                        value=vals["date"],
                    )
                ) from None

    @api.model
    def _normalize_partner_vals(self, vals):
        """A contact given as customer (e.g. over XML-RPC) is logged as the
        contact of its commercial entity."""
        if not vals.get("partner_id"):
            return
        partner = self.env["res.partner"].browse(vals["partner_id"])
        commercial = partner.commercial_partner_id
        if partner != commercial:
            vals["partner_id"] = commercial.id
            vals.setdefault("contact_id", partner.id)

    def _mark_customers(self):
        self.env["relationship.engagement"]._mark_for_recompute(
            [(i.partner_id.id, i.company_id.id) for i in self]
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_open_related_document(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Public API (XML-RPC)
    # ------------------------------------------------------------------

    @api.model
    def log_from_messages(self, message_ids):
        """Log chatter messages as interactions, once each: messages already
        logged are skipped, so calling this twice changes nothing.

        :param message_ids: list of ``mail.message`` ids
        :return: ids of the interactions created
        """
        messages = rpc.existing_records(
            self.env, "mail.message", message_ids, self.env._("message ids")
        )
        logged = self.search([("message_id", "in", messages.ids)]).message_id
        vals_list = []
        for message in messages - logged:
            vals = message._relationship_interaction_vals()
            if vals:
                vals_list.append(vals)
        return self.create(vals_list).ids
