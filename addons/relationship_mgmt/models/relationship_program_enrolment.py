from odoo import api, fields, models

ENROLMENT_STATES = [
    ("running", "Running"),
    ("done", "Done"),
    ("stopped", "Stopped"),
]


class RelationshipProgramEnrolment(models.Model):
    """A customer going through a post-sale program: once per sale order
    (its deliveries and invoices count as one), per other trigger document,
    or once for first-order programs and enrolments by hand."""

    _name = "relationship.program.enrolment"
    _description = "Post-sale Program Enrolment"
    _inherit = ["mail.thread", "relationship.input.check"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    program_id = fields.Many2one(
        "relationship.program",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        domain="[('parent_id', '=', False)]",
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    state = fields.Selection(
        ENROLMENT_STATES, required=True, default="running", index=True, tracking=True
    )
    stop_reason = fields.Char(readonly=True, tracking=True)
    trigger = fields.Selection(related="program_id.trigger")
    trigger_ref = fields.Char(
        string="Trigger Document",
        required=True,
        readonly=True,
        help="Model and id of the sale order or the other trigger document, "
        "'first_order' for first-order programs or 'manual'.",
    )
    sale_order_id = fields.Many2one(
        "sale.order", index="btree_not_null", readonly=True, ondelete="set null"
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
    )
    invoice_id = fields.Many2one(
        "account.move",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
    )
    date_start = fields.Datetime(
        string="Started", required=True, default=fields.Datetime.now, readonly=True
    )
    line_ids = fields.One2many(
        "relationship.program.enrolment.line", "enrolment_id", string="Steps"
    )
    date_next = fields.Datetime(
        string="Next Step", compute="_compute_progress", store=True
    )
    progress = fields.Float(
        string="Progress (%)", compute="_compute_progress", store=True, digits=(5, 1)
    )

    _sql_constraints = [
        (
            "trigger_uniq",
            "unique(program_id, partner_id, trigger_ref)",
            "A customer is enrolled once per program and trigger document.",
        )
    ]

    @api.depends("line_ids.state", "line_ids.date_due")
    def _compute_progress(self):
        for enrolment in self:
            lines = enrolment.line_ids
            scheduled = lines.filtered(lambda line: line.state == "scheduled")
            enrolment.date_next = min(scheduled.mapped("date_due"), default=False)
            enrolment.progress = (
                (len(lines) - len(scheduled)) * 100.0 / len(lines) if lines else 100.0
            )

    @api.depends("program_id", "partner_id")
    def _compute_display_name(self):
        for enrolment in self:
            enrolment.display_name = (
                f"{enrolment.program_id.name} - {enrolment.partner_id.name}"
            )

    def action_stop(self):
        """Stop the enrolments by hand: their remaining steps are skipped."""
        self._stop(self.env._("Stopped by %(user)s", user=self.env.user.name))

    def action_view_trigger_document(self):
        self.ensure_one()
        document = self.invoice_id or self.picking_id or self.sale_order_id
        if not document:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": document._name,
            "res_id": document.id,
            "view_mode": "form",
        }

    def _stop(self, reason):
        """Skip the remaining steps of the enrolments with ``reason``."""
        running = self.filtered(lambda enrolment: enrolment.state == "running")
        if not running:
            return
        lines = running.line_ids.filtered(lambda line: line.state == "scheduled")
        lines.write({"state": "skipped", "reason": reason})
        running.write({"state": "stopped", "stop_reason": reason})

    def _apply_stop_rules(self):
        """Stop the running enrolments whose order was cancelled, whose goods
        came back, or whose customer opted out, is blacklisted or archived."""
        running = self.filtered(lambda enrolment: enrolment.state == "running")
        if not running:
            return
        orders = running.sale_order_id
        returned = (
            self.env["stock.picking"]
            .search(
                [
                    ("sale_id", "in", orders.ids),
                    ("return_id", "!=", False),
                    ("picking_type_code", "=", "incoming"),
                    ("state", "=", "done"),
                ]
            )
            .sale_id
        )
        emails = running.partner_id.mapped("email_normalized")
        blacklisted = set(
            self.env["mail.blacklist"]
            .search([("email", "in", [email for email in emails if email])])
            .mapped("email")
        )
        reasons = {}
        for enrolment in running:
            order = enrolment.sale_order_id
            partner = enrolment.partner_id.with_context(active_test=False)
            if order.state == "cancel":
                reason = self.env._("Order %(order)s cancelled.", order=order.name)
            elif order in returned:
                reason = self.env._(
                    "Goods of order %(order)s returned.", order=order.name
                )
            elif not partner.active:
                reason = self.env._("Customer archived.")
            elif partner.relationship_program_opt_out:
                reason = self.env._("Customer opted out of post-sale programs.")
            elif partner.email_normalized in blacklisted:
                reason = self.env._("Customer's email is blacklisted.")
            else:
                continue
            reasons.setdefault(reason, self.browse())
            reasons[reason] |= enrolment
        for reason, enrolments in reasons.items():
            enrolments._stop(reason)

    def _update_state(self):
        """Mark done the running enrolments without any scheduled step."""
        self.filtered(
            lambda enrolment: (
                enrolment.state == "running"
                and all(line.state != "scheduled" for line in enrolment.line_ids)
            )
        ).write({"state": "done"})
