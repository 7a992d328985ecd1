from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import is_html_empty

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
    _inherit = ["relationship.input.check"]
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

    date_follow_up = fields.Date(
        string="Follow-up on",
        help="Schedule a to-do activity on the customer for the person who "
        "logged the interaction, due that day.",
    )
    is_note_posted = fields.Boolean(
        readonly=True,
        copy=False,
        help="Its chatter message is the note posted when it was logged by hand: "
        "deleted with it.",
    )
    follow_up_activity_id = fields.Many2one(
        "mail.activity", string="Follow-up Activity", readonly=True, copy=False
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
        # The one date rule (README, readme/USAGE.md): not in the future, to
        # the second; no time zone enters it.
        now = fields.Datetime.now()
        for interaction in self:
            if interaction.date > now:
                raise ValidationError(
                    self.env._(
                        "Interaction “%(subject)s”: %(date)s (UTC) is in the "
                        "future; log interactions that took place, and plan the "
                        "others as activities.",
                        subject=interaction.name,
                        date=fields.Datetime.to_string(interaction.date),
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
        interactions._post_to_customer_chatter()
        interactions._schedule_follow_ups()
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
        # sudo: the notes were posted by the addon for these interactions
        # (their deletion, or a privacy erasure, takes the trace with them).
        notes = self.filtered("is_note_posted").message_id.sudo()
        result = super().unlink()
        notes.unlink()
        return result

    def _post_to_customer_chatter(self):
        """A note on the customer's chatter for each interaction logged by
        hand (not from a message), linked as the interaction's message so the
        engagement score counts the two once."""
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for interaction in self.filtered(lambda record: not record.message_id):
            body = Markup("<p><strong>%s</strong> %s</p>") % (
                self.env._(
                    "%(channel)s logged:",
                    channel=channels.get(interaction.channel, interaction.channel),
                ),
                interaction.name,
            )
            if not is_html_empty(interaction.summary):
                body += interaction.summary
            # sudo: the note only records what the user just logged on a
            # customer they may read; logging needs no write right on contacts.
            message = interaction.partner_id.sudo().message_post(
                body=body,
                author_id=(interaction.user_id or self.env.user).partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
            # Dated like the interaction and tagged with its company, so the
            # engagement score counts the two the same way (window, company).
            message.write(
                {
                    "date": interaction.date,
                    "record_company_id": interaction.company_id.id,
                }
            )
            interaction.write({"message_id": message.id, "is_note_posted": True})

    def _schedule_follow_ups(self):
        for interaction in self.filtered("date_follow_up"):
            # sudo: as for the note, a to-do on the customer for the user who
            # logged the interaction.
            activity = interaction.partner_id.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=interaction.date_follow_up,
                summary=self.env._("Follow up: %(name)s", name=interaction.name),
                user_id=(interaction.user_id or self.env.user).id,
            )
            interaction.follow_up_activity_id = activity

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
        if vals.get("partner_id"):
            rpc.check_company(
                self.env["res.partner"].browse(vals["partner_id"]), _("partner ids")
            )
        # Choices (channel, direction, outcome) are checked by
        # relationship.input.check, as on every model integrations create.
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
        messages = rpc.checked_records(
            self.env,
            "mail.message",
            message_ids,
            self.env._("message ids"),
            company_of=self._message_document_company,
        )
        logged = self.search([("message_id", "in", messages.ids)]).message_id
        vals_list = []
        for message in messages - logged:
            vals = message._relationship_interaction_vals()
            if vals:
                vals_list.append(vals)
        return self.create(vals_list).ids

    @api.model
    def _message_document_company(self, message):
        """The company of the document ``message`` (sudo, as check_company
        passes it) is posted on, if any."""
        if message.model not in self.env or not message.res_id:
            return None
        document = message.env[message.model].browse(message.res_id)
        if "company_id" not in document._fields or not document.exists():
            return None
        return document.company_id
