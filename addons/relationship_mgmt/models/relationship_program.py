from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import signals
from ..engine.engagement import RFM_SEGMENTS
from ..tools import rpc
from .relationship_engagement import TIERS

TRIGGERS = [
    ("order_confirmed", "Sale order confirmed"),
    ("first_order", "Customer's first order"),
    ("delivery_done", "Delivery done"),
    ("invoice_paid", "Invoice paid"),
    ("manual", "Manual enrolment"),
]
# Trigger document model of each trigger.
TRIGGER_MODELS = {
    "order_confirmed": "sale.order",
    "first_order": "sale.order",
    "delivery_done": "stock.picking",
    "invoice_paid": "account.move",
}


def add_business_days(start, days):
    """``start`` plus ``days`` working days (Monday to Friday)."""
    result = start
    while days > 0:
        result += timedelta(days=1)
        if result.weekday() < 5:
            days -= 1
    return result


class RelationshipProgram(models.Model):
    """A post-sale program: ordered steps (emails, activities, surveys, server
    actions) run for each customer enrolled by a trigger, each step a delay
    after the trigger."""

    _name = "relationship.program"
    _description = "Post-sale Program"
    _inherit = ["mail.thread", "relationship.input.check"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        help="Gets the activities of steps whose assignee cannot be found.",
    )
    trigger = fields.Selection(
        TRIGGERS, required=True, default="order_confirmed", tracking=True
    )
    description = fields.Html()
    # Filters
    team_ids = fields.Many2many(
        "crm.team",
        string="Sales Teams",
        check_company=True,
        help="Only documents of these sales teams enrol (all when empty).",
    )
    categ_ids = fields.Many2many(
        "product.category",
        string="Product Categories",
        help="Only documents with a product of these categories (or their "
        "subcategories) enrol (all when empty).",
    )
    amount_min = fields.Monetary(
        string="Minimum Amount",
        help="Only documents with at least this untaxed amount enrol.",
    )
    tier = fields.Selection(
        TIERS, string="Customer Tier", help="Only customers of this engagement tier."
    )
    rfm_segment = fields.Selection(
        RFM_SEGMENTS, string="RFM Segment", help="Only customers of this RFM segment."
    )
    step_ids = fields.One2many(
        "relationship.program.step", "program_id", string="Steps", copy=True
    )
    enrolment_ids = fields.One2many(
        "relationship.program.enrolment", "program_id", string="Enrolments"
    )
    step_count = fields.Integer(compute="_compute_step_count")
    enrolment_count = fields.Integer(compute="_compute_rates")
    enrolment_running_count = fields.Integer(string="Running", compute="_compute_rates")
    completion_rate = fields.Float(
        string="Completion (%)",
        compute="_compute_rates",
        digits=(5, 1),
        help="Share of the enrolments that ran every step.",
    )
    response_rate = fields.Float(
        string="Response (%)",
        compute="_compute_rates",
        digits=(5, 1),
        help="Share of the surveys sent that the customers answered.",
    )
    satisfaction_count = fields.Integer(compute="_compute_satisfaction")
    csat_average = fields.Float(
        string="CSAT", compute="_compute_satisfaction", digits=(3, 2)
    )
    nps_score = fields.Float(
        string="NPS",
        compute="_compute_satisfaction",
        digits=(5, 1),
        help="Promoters minus detractors, in % of the NPS answers (-100 to 100).",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("step_ids")
    def _compute_step_count(self):
        for program in self:
            program.step_count = len(program.step_ids)

    @api.depends("enrolment_ids.state", "step_ids")
    def _compute_rates(self):
        enrolments = defaultdict(dict)
        for program, state, count in self.env[
            "relationship.program.enrolment"
        ]._read_group(
            [("program_id", "in", self.ids)], ["program_id", "state"], ["__count"]
        ):
            enrolments[program.id][state] = count
        surveys = defaultdict(dict)
        for program, responded, count in self.env[
            "relationship.program.enrolment.line"
        ]._read_group(
            [
                ("program_id", "in", self.ids),
                ("action", "=", "survey"),
                ("state", "=", "done"),
            ],
            ["program_id", "is_responded"],
            ["__count"],
        ):
            surveys[program.id][responded] = count
        for program in self:
            counts = enrolments[program.id]
            total = sum(counts.values())
            program.enrolment_count = total
            program.enrolment_running_count = counts.get("running", 0)
            program.completion_rate = (
                counts.get("done", 0) * 100.0 / total if total else 0.0
            )
            sent = sum(surveys[program.id].values())
            program.response_rate = (
                surveys[program.id].get(True, 0) * 100.0 / sent if sent else 0.0
            )

    def _compute_satisfaction(self):
        results = defaultdict(lambda: defaultdict(list))
        for program, kind, category, count, value_sum in self.env[
            "relationship.satisfaction"
        ]._read_group(
            [("program_id", "in", self.ids)],
            ["program_id", "kind", "nps_category"],
            ["__count", "value:sum"],
        ):
            results[program.id][kind].append((category, count, value_sum))
        for program in self:
            csat = results[program.id]["csat"]
            nps = results[program.id]["nps"]
            csat_count = sum(count for __, count, __ in csat)
            nps_count = sum(count for __, count, __ in nps)
            program.satisfaction_count = csat_count + nps_count
            program.csat_average = (
                sum(value for __, __, value in csat) / csat_count if csat_count else 0.0
            )
            by_category = {category: count for category, count, __ in nps}
            program.nps_score = (
                (by_category.get("promoter", 0) - by_category.get("detractor", 0))
                * 100.0
                / nps_count
                if nps_count
                else 0.0
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_enrolments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_mgmt.relationship_program_enrolment_action"
        )
        action["domain"] = [("program_id", "=", self.id)]
        action["context"] = {"default_program_id": self.id}
        return action

    def action_view_steps_results(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_mgmt.relationship_program_step_action_results"
        )
        action["domain"] = [("program_id", "=", self.id)]
        return action

    def action_view_satisfaction(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_mgmt.relationship_satisfaction_action"
        )
        action["domain"] = [("program_id", "=", self.id)]
        action["context"] = {"group_by": ["partner_id"]}
        return action

    def action_open_enrol_wizard(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_mgmt.relationship_program_enrol_wizard_action"
        )
        action["context"] = {"default_program_id": self.id}
        return action

    # ------------------------------------------------------------------
    # Public API (XML-RPC, JSON-RPC)
    # ------------------------------------------------------------------

    @rpc.ids_first(lambda env: env._("program ids"))
    def enrol_partners(self, partner_ids=None):
        """Enrol customers by hand in this program (manual trigger), as the
        enrolment wizard does.

        :param partner_ids: list of ``res.partner`` ids; their commercial
            entities are enrolled, once per program
        :return: ``{"enrolled": int, "skipped": int, "enrolment_ids": [ids]}``;
            customers already enrolled by hand or outside the program's tier
            and segment, the companies' own partners and internal users are
            skipped
        """
        _ = self.env._
        self.env["relationship.program.enrolment"].check_access("create")
        if len(self._ids) != 1:
            raise UserError(
                _(
                    "Enrol customers in one program at a time (%(count)s given).",
                    count=len(self._ids),
                )
            )
        program = rpc.checked_records(
            self.env, self._name, list(self._ids), _("program ids")
        )
        if not program.active:
            raise UserError(
                _(
                    "Program “%(program)s” is archived: it enrols nobody.",
                    program=program.display_name,
                )
            )
        if not partner_ids:
            raise UserError(_("Give the ids of the customers to enrol."))
        partners = rpc.checked_records(
            self.env, "res.partner", partner_ids, _("partner ids")
        )
        partners.check_access("read")
        customers = partners.commercial_partner_id
        foreign = customers.filtered(
            lambda partner: (
                partner.company_id and partner.company_id != program.company_id
            )
        )
        if foreign:
            raise UserError(
                _(
                    "Partners %(ids)s belong to another company than program "
                    "“%(program)s”.",
                    ids=rpc.ids_text(self.env, foreign.ids),
                    program=program.display_name,
                )
            )
        enrolments = program._enrol_partners(customers)
        return {
            "enrolled": len(enrolments),
            "skipped": len(customers) - len(enrolments),
            "enrolment_ids": enrolments.ids,
        }

    # ------------------------------------------------------------------
    # Enrolment
    # ------------------------------------------------------------------

    @api.model
    def _enrol_documents(self, trigger, documents):
        """Enrol the customers of ``documents`` (sale orders, pickings or
        invoices) in the active programs of ``trigger`` whose filters they
        match; documents already enrolled in a program are skipped.

        :return: the enrolments created
        """
        Enrolment = self.env["relationship.program.enrolment"]
        if not documents:
            return Enrolment
        programs = self.search(
            [
                ("trigger", "=", trigger),
                ("company_id", "in", documents.company_id.ids),
            ]
        )
        if not programs:
            return Enrolment
        contexts = [self._document_context(document) for document in documents]
        candidates = []
        for program in programs:
            partners = self.env["res.partner"].browse(
                ctx["partner"].id
                for ctx in contexts
                if ctx["company"] == program.company_id
            )
            allowed = program._partners_matching_customer_filters(partners)
            for ctx in contexts:
                if ctx["partner"] in allowed and program._matches_document(ctx):
                    candidates.append((program, ctx))
        return self._create_enrolments(candidates)

    @api.model
    def _document_context(self, document):
        """What a program needs to know of a trigger document."""
        ctx = {
            "document": document,
            "order": self.env["sale.order"],
            "picking": self.env["stock.picking"],
            "invoice": self.env["account.move"],
            "company": document.company_id,
        }
        if document._name == "sale.order":
            ctx.update(order=document, team=document.team_id)
            ctx["products"] = document.order_line.product_id
            ctx["amount"] = document.amount_untaxed
        elif document._name == "stock.picking":
            ctx.update(picking=document, order=document.sale_id)
            ctx["team"] = document.sale_id.team_id
            ctx["products"] = document.move_ids.product_id
            ctx["amount"] = document.sale_id.amount_untaxed
        else:
            orders = document.invoice_line_ids.sale_line_ids.order_id
            ctx.update(invoice=document, order=orders[:1], team=document.team_id)
            ctx["products"] = document.invoice_line_ids.product_id
            ctx["amount"] = document.amount_untaxed
        ctx["partner"] = document.partner_id.commercial_partner_id
        return ctx

    def _partners_matching_customer_filters(self, partners):
        """The customers among ``partners`` of the program's tier and RFM
        segment who did not opt out of post-sale programs: every enrolment
        path (triggers, by hand, wizard, segment) goes through here. The
        companies' own partners and internal users are no customers, as for
        the scores."""
        self.ensure_one()
        self.env["res.users"].flush_model(["partner_id", "share"])
        self.env["res.company"].flush_model(["partner_id"])
        not_customers = signals.not_customer_ids(self.env.cr)
        partners = partners.filtered(
            lambda partner: (
                partner.id not in not_customers
                and not partner.relationship_program_opt_out
            )
        )
        if not self.tier and not self.rfm_segment:
            return partners
        domain = [
            ("partner_id", "in", partners.ids),
            ("company_id", "=", self.company_id.id),
        ]
        if self.tier:
            domain.append(("tier", "=", self.tier))
        if self.rfm_segment:
            domain.append(("rfm_segment", "=", self.rfm_segment))
        # sudo: engagement records are read only to filter the enrolled
        # customers; nothing is shown to the user.
        return self.env["relationship.engagement"].sudo().search(domain).partner_id

    def _matches_document(self, ctx):
        self.ensure_one()
        if self.team_ids and ctx["team"] not in self.team_ids:
            return False
        if self.amount_min and ctx["amount"] < self.amount_min:
            return False
        if self.categ_ids:
            categories = self.env["product.category"].search(
                [("id", "child_of", self.categ_ids.ids)]
            )
            if not ctx["products"].categ_id & categories:
                return False
        return True

    @api.model
    def _create_enrolments(self, candidates):
        """Create the enrolments of ``candidates`` (program, document context)
        with one line per step, in one batch; existing ones are skipped."""
        Enrolment = self.env["relationship.program.enrolment"]
        if not candidates:
            return Enrolment
        keys = {
            (program.id, ctx["partner"].id, program._trigger_ref(ctx))
            for program, ctx in candidates
        }
        existing = Enrolment.with_context(active_test=False).search(
            [
                ("program_id", "in", list({key[0] for key in keys})),
                ("partner_id", "in", list({key[1] for key in keys})),
                ("trigger_ref", "in", list({key[2] for key in keys})),
            ]
        )
        seen = {(e.program_id.id, e.partner_id.id, e.trigger_ref) for e in existing}
        now = fields.Datetime.now()
        programs = self.browse(list({program.id for program, _ctx in candidates}))
        dates_due = programs.step_ids._dates_due(now)
        vals_list = []
        for program, ctx in candidates:
            key = (program.id, ctx["partner"].id, program._trigger_ref(ctx))
            if key in seen:
                continue
            seen.add(key)
            vals_list.append(
                {
                    "program_id": program.id,
                    "partner_id": ctx["partner"].id,
                    "company_id": program.company_id.id,
                    "trigger_ref": key[2],
                    "sale_order_id": ctx["order"].id,
                    "picking_id": ctx["picking"].id,
                    "invoice_id": ctx["invoice"].id,
                    "date_start": now,
                    "line_ids": [
                        fields.Command.create(
                            {"step_id": step.id, "date_due": dates_due[step.id]}
                        )
                        for step in program.step_ids
                    ],
                }
            )
        return Enrolment.create(vals_list)

    def _trigger_ref(self, ctx):
        """What the program enrols a customer once for (the enrolments'
        unique key with program and customer): the customer itself for
        manual and first-order programs, whatever order comes first later (a
        cancelled first order does not make the next one first again); the
        sale order of a delivery or an invoice, so that its backorders and
        its down payment do not enrol again; else the trigger document."""
        self.ensure_one()
        document = ctx.get("document")
        if not document or self.trigger == "manual":
            return "manual"
        if self.trigger == "first_order":
            return "first_order"
        order = ctx["order"]
        if document._name == "account.move":
            orders = document.invoice_line_ids.sale_line_ids.order_id
            order = orders if len(orders) == 1 else order.browse()
        if order:
            return f"{order._name},{order.id}"
        return f"{document._name},{document.id}"

    def _enrol_partners(self, partners):
        """Enrol ``partners`` by hand in the program (once per customer)."""
        self.ensure_one()
        if self.trigger != "manual":
            raise UserError(
                self.env._(
                    "Program “%(program)s” enrols customers on its trigger; only "
                    "programs with a manual trigger take customers by hand.",
                    program=self.display_name,
                )
            )
        partners = self._partners_matching_customer_filters(
            partners.commercial_partner_id
        )
        empty = {
            "order": self.env["sale.order"],
            "picking": self.env["stock.picking"],
            "invoice": self.env["account.move"],
        }
        return self._create_enrolments(
            [(self, dict(empty, partner=partner)) for partner in partners]
        )
