import logging
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.relationship_mgmt.tools import actions

from ..engine import obligations as engine

_logger = logging.getLogger(__name__)

AGREEMENT_TYPES = [
    ("sales", "Sales"),
    ("purchase", "Purchase"),
    ("distribution", "Distribution"),
    ("service", "Service / SLA"),
    ("framework", "Framework"),
    ("nda", "NDA"),
    ("other", "Other"),
]
STATES = [
    ("draft", "Draft"),
    ("negotiation", "In Negotiation"),
    ("active", "Active"),
    ("expiring", "Expiring"),
    ("expired", "Expired"),
    ("renewed", "Renewed"),
    ("terminated", "Terminated"),
]
RENEWAL_TYPES = [
    ("none", "No renewal"),
    ("manual", "Manual"),
    ("automatic", "Automatic"),
]
# An agreement in these states binds both sides: documents may reference it,
# its obligations are measured and it may not overlap another one.
RUNNING_STATES = ("active", "expiring")
# Still open: not expired, renewed or terminated.
OPEN_STATES = ("draft", "negotiation", "active", "expiring")
# Types a document defaults to, by side: sale orders and customer invoices
# take the partner's single running sales or distribution agreement, purchase
# orders and vendor bills its single running purchase agreement. Service,
# framework, NDA and other agreements may go either way: they are never
# defaulted, but may be chosen by hand on any document.
SALE_TYPES = ("sales", "distribution")
PURCHASE_TYPES = ("purchase",)
# Types of which a partner has one running agreement at a time, unless the
# agreement says overlapping is allowed.
EXCLUSIVE_TYPES = ("sales", "purchase", "distribution", "service")
# The cron renews automatic agreements period after period: this many at most
# in one run when it catches up after a long stop.
MAX_RENEWAL_ROUNDS = 24


class RelationshipAgreement(models.Model):
    _name = "relationship.agreement"
    _description = "Business Agreement"
    _inherit = ["mail.thread", "mail.activity.mixin", "relationship.input.check"]
    _order = "date_start desc, id desc"
    _check_company_auto = True
    # Relationship users read agreements without editing them: they may still
    # discuss them in the chatter.
    _mail_post_access = "read"

    name = fields.Char(string="Title", required=True, tracking=True)
    reference = fields.Char(
        readonly=True, copy=False, default="/", index="trigram", tracking=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        help="The commercial entity the agreement binds.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        compute="_compute_currency_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        default=lambda self: self.env.user,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    agreement_type = fields.Selection(
        AGREEMENT_TYPES, string="Type", required=True, default="sales", tracking=True
    )
    state = fields.Selection(
        STATES,
        string="Status",
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    date_start = fields.Date(string="Start Date", tracking=True)
    duration_months = fields.Integer(string="Duration (months)", default=12)
    date_end = fields.Date(
        string="End Date",
        compute="_compute_date_end",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
    )
    date_signature = fields.Date(string="Signature Date", copy=False, tracking=True)
    amount_committed = fields.Monetary(
        string="Committed Value",
        tracking=True,
        help="Value both sides committed to over the agreement period.",
    )
    renewal_type = fields.Selection(
        RENEWAL_TYPES, string="Renewal", required=True, default="manual", tracking=True
    )
    renewal_months = fields.Integer(
        string="Renew For (months)",
        default=12,
        help="Length of each new period of an automatically renewed agreement.",
    )
    notice_days = fields.Integer(
        string="Notice Period (days)",
        default=30,
        help="Days before the end date by which either side must give notice.",
    )
    reminder_days = fields.Integer(
        string="Reminder (days)",
        default=14,
        help="The owner gets an activity this many days before the notice deadline.",
    )
    date_notice = fields.Date(
        string="Notice Deadline",
        compute="_compute_date_notice",
        store=True,
        help="Last day to give notice: the agreement is expiring from then on.",
    )
    date_reminder = fields.Date(
        string="Reminder Date", compute="_compute_date_notice", store=True
    )
    is_notice_reminded = fields.Boolean(readonly=True, copy=False)
    allow_overlap = fields.Boolean(
        compute="_compute_allow_overlap",
        store=True,
        readonly=False,
        precompute=True,
        help="Whether another running agreement of the same type with the same "
        "partner may cover the same dates.",
    )
    # Final terms (taken from the accepted negotiation round)
    payment_term_id = fields.Many2one(
        "account.payment.term", string="Payment Terms", check_company=True
    )
    lead_time_days = fields.Integer(string="Lead Time (days)")
    terms = fields.Html(string="Agreed Terms")
    price_ids = fields.One2many(
        "relationship.agreement.price",
        "agreement_id",
        string="Agreed Prices",
        copy=True,
    )
    round_ids = fields.One2many(
        "relationship.agreement.round", "agreement_id", string="Negotiation Rounds"
    )
    accepted_round_id = fields.Many2one(
        "relationship.agreement.round", readonly=True, copy=False
    )
    obligation_ids = fields.One2many(
        "relationship.agreement.obligation",
        "agreement_id",
        string="Obligations",
        copy=True,
    )
    breach_count = fields.Integer(
        string="Breaches",
        readonly=True,
        copy=False,
        help="Measurement periods in which an obligation was breached.",
    )
    date_last_breach = fields.Date(string="Last Breach", readonly=True, copy=False)
    # Renewals and termination
    previous_id = fields.Many2one(
        "relationship.agreement",
        string="Renewal Of",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    renewal_ids = fields.One2many(
        "relationship.agreement", "previous_id", string="Renewals"
    )
    renewal_id = fields.Many2one(
        "relationship.agreement", string="Renewed By", compute="_compute_renewal_id"
    )
    termination_reason = fields.Text(readonly=True, copy=False, tracking=True)
    date_termination = fields.Date(string="Termination Date", readonly=True, copy=False)
    # Linked documents
    sale_order_ids = fields.One2many("sale.order", "agreement_id")
    purchase_order_ids = fields.One2many("purchase.order", "agreement_id")
    invoice_ids = fields.One2many("account.move", "agreement_id")
    sale_order_count = fields.Integer(compute="_compute_document_counts")
    purchase_order_count = fields.Integer(compute="_compute_document_counts")
    invoice_count = fields.Integer(compute="_compute_document_counts")
    obligation_count = fields.Integer(compute="_compute_obligation_count")
    amount_ordered = fields.Monetary(
        string="Ordered",
        compute="_compute_consumption",
        help="Untaxed amount of the confirmed orders under this agreement.",
    )
    amount_invoiced = fields.Monetary(
        string="Invoiced",
        compute="_compute_consumption",
        help="Untaxed amount of the posted invoices and bills, net of refunds.",
    )
    amount_remaining = fields.Monetary(
        string="Remaining", compute="_compute_consumption"
    )
    consumption_rate = fields.Float(
        string="Consumed (%)",
        compute="_compute_consumption",
        digits=(5, 1),
        help="Ordered amount against the committed value.",
    )

    _sql_constraints = [
        (
            "reference_company_uniq",
            "unique(reference, company_id)",
            "An agreement reference is unique in its company.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("company_id")
    def _compute_currency_id(self):
        for agreement in self:
            if not agreement.currency_id:
                agreement.currency_id = agreement.company_id.currency_id

    @api.depends("date_start", "duration_months")
    def _compute_date_end(self):
        for agreement in self:
            if agreement.date_start and agreement.duration_months > 0:
                agreement.date_end = (
                    agreement.date_start
                    + relativedelta(months=agreement.duration_months)
                    - timedelta(days=1)
                )
            elif not agreement.date_end:
                agreement.date_end = False

    @api.depends("date_end", "notice_days", "reminder_days")
    def _compute_date_notice(self):
        for agreement in self:
            if agreement.date_end:
                notice = agreement.date_end - timedelta(
                    days=max(agreement.notice_days, 0)
                )
                agreement.date_notice = notice
                agreement.date_reminder = notice - timedelta(
                    days=max(agreement.reminder_days, 0)
                )
            else:
                agreement.date_notice = agreement.date_reminder = False

    @api.depends("agreement_type")
    def _compute_allow_overlap(self):
        for agreement in self:
            agreement.allow_overlap = agreement.agreement_type not in EXCLUSIVE_TYPES

    @api.depends("renewal_ids")
    def _compute_renewal_id(self):
        for agreement in self:
            agreement.renewal_id = agreement.renewal_ids[:1]

    @api.depends("obligation_ids")
    def _compute_obligation_count(self):
        for agreement in self:
            agreement.obligation_count = len(agreement.obligation_ids)

    def _compute_document_counts(self):
        counts = {}
        for model, key in (
            ("sale.order", "sale_order_count"),
            ("purchase.order", "purchase_order_count"),
            ("account.move", "invoice_count"),
        ):
            Model = self.env[model]
            # A relationship user without sales, purchase or invoicing rights
            # sees no count rather than an access error.
            if not Model.has_access("read"):
                continue
            for agreement, count in Model._read_group(
                [("agreement_id", "in", self.ids)], ["agreement_id"], ["__count"]
            ):
                counts[(key, agreement.id)] = count
        for agreement in self:
            for key in (
                "sale_order_count",
                "purchase_order_count",
                "invoice_count",
            ):
                agreement[key] = counts.get((key, agreement.id), 0)

    @api.depends(
        "amount_committed",
        "sale_order_ids.state",
        "sale_order_ids.amount_untaxed",
        "purchase_order_ids.state",
        "purchase_order_ids.amount_untaxed",
        "invoice_ids.state",
        "invoice_ids.amount_untaxed",
    )
    def _compute_consumption(self):
        ids = [agreement.id for agreement in self if isinstance(agreement.id, int)]
        totals = {}
        if ids:
            # Aggregates over the agreement's documents, read in one query for
            # the whole recordset: a figure shown on an agreement the user may
            # read, whatever their rights on each document.
            for model in ("sale.order", "purchase.order", "account.move"):
                self.env[model].flush_model()
            self.flush_recordset(["currency_id", "company_id"])
            totals = engine.consumption(
                self.env.cr, ids, fields.Date.context_today(self)
            )
        for agreement in self:
            ordered, invoiced = totals.get(agreement.id, (0.0, 0.0))
            agreement.amount_ordered = ordered
            agreement.amount_invoiced = invoiced
            agreement.amount_remaining = agreement.amount_committed - ordered
            agreement.consumption_rate = (
                100.0 * ordered / agreement.amount_committed
                if agreement.amount_committed
                else 0.0
            )

    @api.depends("reference", "name")
    def _compute_display_name(self):
        for agreement in self:
            if agreement.reference and agreement.reference != "/":
                agreement.display_name = f"{agreement.reference} {agreement.name}"
            else:
                agreement.display_name = agreement.name or ""

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for agreement in self:
            if (
                agreement.date_start
                and agreement.date_end
                and agreement.date_end < agreement.date_start
            ):
                raise ValidationError(
                    self.env._(
                        "Agreement %(agreement)s ends on %(end)s, before it starts "
                        "on %(start)s.",
                        agreement=agreement.display_name,
                        end=agreement.date_end,
                        start=agreement.date_start,
                    )
                )

    @api.constrains(
        "amount_committed",
        "duration_months",
        "notice_days",
        "reminder_days",
        "renewal_months",
        "renewal_type",
        "lead_time_days",
    )
    def _check_values(self):
        for agreement in self:
            for fname in (
                "amount_committed",
                "duration_months",
                "notice_days",
                "reminder_days",
                "lead_time_days",
            ):
                if agreement[fname] < 0:
                    raise ValidationError(
                        self.env._(
                            "%(field)s of agreement %(agreement)s cannot be "
                            "negative (%(value)s).",
                            field=agreement._fields[fname]._description_string(
                                self.env
                            ),
                            agreement=agreement.display_name,
                            value=agreement[fname],
                        )
                    )
            if agreement.renewal_type == "automatic" and agreement.renewal_months <= 0:
                raise ValidationError(
                    self.env._(
                        "Agreement %(agreement)s renews automatically: its renewal "
                        "period must be at least one month (not %(value)s).",
                        agreement=agreement.display_name,
                        value=agreement.renewal_months,
                    )
                )

    @api.constrains(
        "state",
        "date_start",
        "date_end",
        "partner_id",
        "company_id",
        "agreement_type",
        "allow_overlap",
    )
    def _check_overlap(self):
        running = self.filtered(
            lambda agreement: (
                agreement.state in RUNNING_STATES and not agreement.allow_overlap
            )
        )
        if not running:
            return
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT a.id, b.id
                  FROM relationship_agreement a
                  JOIN relationship_agreement b
                    ON b.id != a.id
                   AND b.partner_id = a.partner_id
                   AND b.company_id = a.company_id
                   AND b.agreement_type = a.agreement_type
                   AND b.state IN %(running)s
                   AND NOT COALESCE(b.allow_overlap, FALSE)
                   AND daterange(b.date_start, b.date_end, '[]')
                       && daterange(a.date_start, a.date_end, '[]')
                 WHERE a.id = ANY(%(ids)s)
                 ORDER BY a.id, b.id
                 LIMIT 1
                """,
                running=RUNNING_STATES,
                ids=running.ids,
            )
        )
        row = self.env.cr.fetchone()
        if row:
            agreement, other = self.browse(row)
            raise ValidationError(
                self.env._(
                    "Agreement %(agreement)s overlaps the running %(type)s agreement "
                    "%(other)s with %(partner)s (%(start)s to %(end)s). End one "
                    "first, or allow overlapping agreements of this type.",
                    agreement=agreement.display_name,
                    type=dict(
                        self._fields["agreement_type"]._description_selection(self.env)
                    )[other.agreement_type],
                    other=other.display_name,
                    partner=other.partner_id.display_name,
                    start=other.date_start,
                    end=other.date_end or "-",
                )
            )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        partners = self.env["res.partner"].browse(
            [vals["partner_id"] for vals in vals_list if vals.get("partner_id")]
        )
        commercial = {
            partner.id: partner.commercial_partner_id.id for partner in partners
        }
        for vals in vals_list:
            if vals.get("partner_id"):
                vals["partner_id"] = commercial[vals["partner_id"]]
            if not vals.get("reference") or vals["reference"] == "/":
                company_id = vals.get("company_id") or self.env.company.id
                vals["reference"] = (
                    self.env["ir.sequence"]
                    .with_company(company_id)
                    .next_by_code("relationship.agreement")
                    or "/"
                )
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("partner_id"):
            vals["partner_id"] = (
                self.env["res.partner"]
                .browse(vals["partner_id"])
                .commercial_partner_id.id
            )
        if {"date_end", "date_start", "duration_months", "notice_days"} & set(vals):
            vals.setdefault("is_notice_reminded", False)
        return super().write(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _check_state(self, allowed, action):
        """Raise a clear error when an agreement is not in one of ``allowed``
        states for ``action`` (a translated verb)."""
        labels = dict(self._fields["state"]._description_selection(self.env))
        for agreement in self:
            if agreement.state not in allowed:
                raise UserError(
                    self.env._(
                        "Cannot %(action)s agreement %(agreement)s: it is %(state)s.",
                        action=action,
                        agreement=agreement.display_name,
                        state=labels[agreement.state],
                    )
                )

    def _check_negotiable(self):
        self._check_state(("draft", "negotiation"), self.env._("negotiate"))

    def action_start_negotiation(self):
        self._check_state(("draft",), self.env._("start negotiating"))
        self.write({"state": "negotiation"})
        return True

    def action_activate(self):
        """Sign and start the agreement: it takes its terms from the accepted
        negotiation round (when it was negotiated)."""
        self._check_state(("draft", "negotiation"), self.env._("activate"))
        today = fields.Date.context_today(self)
        for agreement in self:
            if not agreement.date_start or not agreement.date_end:
                raise UserError(
                    self.env._(
                        "Agreement %(agreement)s needs a start and an end date "
                        "before it becomes active.",
                        agreement=agreement.display_name,
                    )
                )
            if agreement.date_end < today:
                raise UserError(
                    self.env._(
                        "Agreement %(agreement)s ended on %(end)s: it cannot "
                        "become active.",
                        agreement=agreement.display_name,
                        end=agreement.date_end,
                    )
                )
            if agreement.round_ids and not agreement.accepted_round_id:
                raise UserError(
                    self.env._(
                        "Agreement %(agreement)s is under negotiation: accept a "
                        "round before activating it.",
                        agreement=agreement.display_name,
                    )
                )
        for state, agreements in self.grouped(
            lambda agreement: agreement._running_state(today)
        ).items():
            agreements.write({"state": state})
        without_signature = self.filtered(
            lambda agreement: not agreement.date_signature
        )
        if without_signature:
            without_signature.write({"date_signature": today})
        return True

    def action_terminate(self, reason=None):
        """End the agreement early. Without a reason (the form's button),
        open the wizard asking for one."""
        if reason is None:
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Terminate Agreement"),
                "res_model": "relationship.agreement.terminate",
                "view_mode": "form",
                "target": "new",
                "context": {"default_agreement_ids": self.ids},
            }
        self._terminate(reason)
        return True

    def action_renew(self):
        """Renew the agreement for a new period (history kept: the agreement
        becomes Renewed and the new period is a new agreement)."""
        self._check_renewable()
        renewals = self._renew()
        if len(renewals) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": self._name,
                "res_id": renewals.id,
                "view_mode": "form",
                "views": [(False, "form")],
            }
        return True

    def action_refresh_obligations(self):
        """Measure the obligations of these agreements now."""
        result = self.env["relationship.agreement.obligation"].refresh_obligations(
            self.ids
        )
        return actions.notification(
            self.env._("Obligations measured"),
            self.env._(
                "%(periods)s periods measured, %(breaches)s new breaches.",
                periods=result["periods"],
                breaches=result["breaches"],
            ),
            "warning" if result["breaches"] else "success",
            {"type": "ir.actions.client", "tag": "soft_reload"},
            counts=result,
        )

    def _action_documents(self, xmlid, field, extra_context=None):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("agreement_id", "=", self.id)]
        action["context"] = {
            f"default_{field}": self.partner_id.id,
            "default_agreement_id": self.id,
            **(extra_context or {}),
        }
        return action

    def action_view_sale_orders(self):
        return self._action_documents("sale.action_orders", "partner_id")

    def action_view_purchase_orders(self):
        return self._action_documents("purchase.purchase_form_action", "partner_id")

    def action_view_invoices(self):
        action = self._action_documents(
            "account.action_move_journal_line", "partner_id"
        )
        action["context"].pop("default_partner_id")
        action["views"] = [
            (self.env.ref("account.view_invoice_tree").id, "list"),
            (False, "form"),
        ]
        return action

    def action_view_obligations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_brm.relationship_agreement_obligation_action"
        )
        action["domain"] = [("agreement_id", "=", self.id)]
        action["context"] = {"default_agreement_id": self.id}
        return action

    def action_view_attachments(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Documents"),
            "res_model": "ir.attachment",
            "view_mode": "kanban,list,form",
            "domain": [("res_model", "=", self._name), ("res_id", "=", self.id)],
            "context": {"default_res_model": self._name, "default_res_id": self.id},
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _running_state(self, today):
        """Active, or Expiring once inside the notice period."""
        self.ensure_one()
        if self.date_notice and self.date_notice <= today:
            return "expiring"
        return "active"

    def _terminate(self, reason, date=None):
        if not reason or not str(reason).strip():
            raise UserError(self.env._("Give a reason to terminate an agreement."))
        self._check_state(OPEN_STATES, self.env._("terminate"))
        self.write(
            {
                "state": "terminated",
                "termination_reason": str(reason).strip(),
                "date_termination": date or fields.Date.context_today(self),
            }
        )

    def _check_renewable(self):
        for agreement in self:
            if agreement.state == "terminated":
                raise UserError(
                    self.env._(
                        "Agreement %(agreement)s was terminated on %(date)s: it "
                        "cannot be renewed.",
                        agreement=agreement.display_name,
                        date=agreement.date_termination,
                    )
                )
            if agreement.state == "renewed" or agreement.renewal_ids:
                raise UserError(
                    self.env._(
                        "Agreement %(agreement)s was already renewed by %(renewal)s.",
                        agreement=agreement.display_name,
                        renewal=agreement.renewal_id.display_name,
                    )
                )
            if agreement.renewal_type == "none":
                raise UserError(
                    self.env._(
                        "Agreement %(agreement)s is not renewable.",
                        agreement=agreement.display_name,
                    )
                )
        self._check_state(("active", "expiring", "expired"), self.env._("renew"))

    def _renew(self):
        """Create the next period of each agreement (same terms, prices and
        obligations), starting the day after it ends. An agreement already
        over becomes Renewed; one renewed early keeps running until its end
        date (the cron then marks it Renewed). Returns the new agreements."""
        if not self:
            return self
        today = fields.Date.context_today(self)
        vals_list = []
        for agreement, vals in zip(self, self.copy_data(), strict=True):
            months = agreement.renewal_months or agreement.duration_months or 12
            date_start = agreement.date_end + timedelta(days=1)
            vals.update(
                {
                    "previous_id": agreement.id,
                    "reference": "/",
                    "date_start": date_start,
                    "duration_months": months,
                    "date_end": date_start
                    + relativedelta(months=months)
                    - timedelta(days=1),
                    "date_signature": agreement.date_signature,
                }
            )
            vals_list.append(vals)
        self.filtered(lambda agreement: agreement.date_end < today).write(
            {"state": "renewed"}
        )
        renewals = self.create(vals_list)
        for state, agreements in renewals.grouped(
            lambda agreement: agreement._running_state(today)
        ).items():
            agreements.write({"state": state})
        for agreement in self:
            agreement.message_post(
                body=Markup("%s")
                % self.env._(
                    "Renewed by %(renewal)s from %(start)s to %(end)s.",
                    renewal=agreement.renewal_id.display_name,
                    start=agreement.renewal_id.date_start,
                    end=agreement.renewal_id.date_end,
                )
            )
        return renewals

    def _create_owner_activities(self, xmlid, items):
        """Schedule one activity per ``(agreement, summary, note, deadline)``
        for the agreements' owners, in one create."""
        activity_type = self.env.ref(xmlid, raise_if_not_found=False)
        model_id = self.env["ir.model"]._get_id(self._name)
        vals_list = [
            {
                "res_model_id": model_id,
                "res_id": agreement.id,
                "activity_type_id": activity_type.id if activity_type else False,
                "user_id": agreement.user_id.id,
                "summary": summary,
                "note": note,
                "date_deadline": deadline,
            }
            for agreement, summary, note, deadline in items
            if agreement.user_id
        ]
        # sudo: the cron or a user refreshing obligations assigns the reminder
        # to the agreement's owner, whoever may write activities here.
        return self.env["mail.activity"].sudo().create(vals_list)

    # ------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------

    @api.model
    def _cron_update_states(self):
        """Daily: renew or expire the agreements past their end date, move
        those inside their notice period to Expiring, and remind owners before
        the notice deadline. Running it twice changes nothing more."""
        today = fields.Date.context_today(self)
        counts = {"renewed": 0, "expired": 0, "expiring": 0, "reminded": 0}
        running = [("state", "in", RUNNING_STATES)]
        for _round in range(MAX_RENEWAL_ROUNDS):
            ended = self.search(running + [("date_end", "<", today)])
            if not ended:
                break
            renewed_early = ended.filtered("renewal_ids")
            renewed_early.write({"state": "renewed"})
            automatic = (ended - renewed_early).filtered(
                lambda a: a.renewal_type == "automatic"
            )
            expired = ended - renewed_early - automatic
            expired.write({"state": "expired"})
            counts["expired"] += len(expired)
            automatic._renew()
            counts["renewed"] += len(automatic)
        expiring = self.search([("state", "=", "active"), ("date_notice", "<=", today)])
        expiring.write({"state": "expiring"})
        counts["expiring"] = len(expiring)
        # Notice deadline moved later (end date extended): active again.
        self.search([("state", "=", "expiring"), ("date_notice", ">", today)]).write(
            {"state": "active"}
        )
        to_remind = self.search(
            running
            + [
                ("date_reminder", "<=", today),
                ("is_notice_reminded", "=", False),
                ("renewal_ids", "=", False),
            ]
        )
        if to_remind:
            self._create_owner_activities(
                "relationship_brm.mail_activity_type_notice_deadline",
                [
                    (
                        agreement,
                        self.env._(
                            "Notice deadline of %(agreement)s",
                            agreement=agreement.display_name,
                        ),
                        self.env._(
                            "Give notice or let the agreement %(renewal)s by "
                            "%(deadline)s (ends on %(end)s).",
                            renewal=self.env._("renew automatically")
                            if agreement.renewal_type == "automatic"
                            else self.env._("expire"),
                            deadline=agreement.date_notice,
                            end=agreement.date_end,
                        ),
                        max(agreement.date_notice, today),
                    )
                    for agreement in to_remind
                ],
            )
            to_remind.write({"is_notice_reminded": True})
            counts["reminded"] = len(to_remind)
        _logger.info("Agreement states updated: %s", counts)
        return counts
