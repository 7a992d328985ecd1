import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import batch_runner

_logger = logging.getLogger(__name__)

LINE_STATES = [
    ("scheduled", "Scheduled"),
    ("done", "Done"),
    ("skipped", "Skipped"),
    ("failed", "Failed"),
]
# Due steps locked and run per transaction by the cron.
RUN_BATCH = 200


class RelationshipProgramEnrolmentLine(models.Model):
    """One step of one enrolment: when it is due, and what became of it."""

    _name = "relationship.program.enrolment.line"
    _description = "Post-sale Program Enrolment Step"
    _order = "date_due, sequence, id"
    _rec_name = "step_id"

    enrolment_id = fields.Many2one(
        "relationship.program.enrolment",
        required=True,
        index=True,
        ondelete="cascade",
    )
    step_id = fields.Many2one(
        "relationship.program.step", required=True, index=True, ondelete="cascade"
    )
    program_id = fields.Many2one(
        related="enrolment_id.program_id", store=True, index=True
    )
    partner_id = fields.Many2one(
        related="enrolment_id.partner_id", store=True, string="Customer"
    )
    company_id = fields.Many2one(related="enrolment_id.company_id", store=True)
    sequence = fields.Integer(related="step_id.sequence", store=True)
    action = fields.Selection(related="step_id.action", store=True)
    date_due = fields.Datetime(string="Due", required=True, index=True)
    state = fields.Selection(
        LINE_STATES, required=True, default="scheduled", index=True
    )
    reason = fields.Char(help="Why the step was skipped or failed.")
    date_done = fields.Datetime(string="Run On", readonly=True)
    mail_message_id = fields.Many2one(
        "mail.message", string="Message", readonly=True, ondelete="set null"
    )
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
    survey_user_input_id = fields.Many2one(
        "survey.user_input",
        string="Survey Answer",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    is_responded = fields.Boolean(
        string="Answered",
        compute="_compute_is_responded",
        store=True,
        help="The customer answered the survey of the step.",
    )

    @api.depends("survey_user_input_id.state")
    def _compute_is_responded(self):
        for line in self:
            line.is_responded = line.survey_user_input_id.state == "done"

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------

    @api.model
    def _lock_due_lines(self, now, limit, exclude_ids=(), company=None):
        """Lock up to ``limit`` scheduled lines due at ``now`` (of ``company``
        when given); lines locked by another transaction (another cron
        worker) are skipped."""
        self.flush_model(["state", "date_due", "company_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT id
                  FROM relationship_program_enrolment_line
                 WHERE state = 'scheduled'
                   AND date_due <= %(now)s
                   AND NOT (id = ANY(%(exclude)s))
                   %(of_company)s
              ORDER BY date_due, sequence, id
                 LIMIT %(limit)s
                   FOR UPDATE SKIP LOCKED
                """,
                now=now,
                exclude=list(exclude_ids),
                of_company=SQL("AND company_id = %s", company.id) if company else SQL(),
                limit=limit,
            )
        )
        lines = self.browse(row[0] for row in self.env.cr.fetchall())
        # Another worker may have run them since this transaction read them.
        lines.invalidate_recordset(["state"])
        return lines.filtered(lambda line: line.state == "scheduled")

    def _run(self):
        """Run the lines (due and locked): stop the enrolments hit by a stop
        rule first, then run each step in its own savepoint so that one
        failure is logged on its line and does not stop the others."""
        enrolments = self.enrolment_id
        enrolments._apply_stop_rules()
        now = fields.Datetime.now()
        for line in self.filtered(lambda line: line.state == "scheduled"):
            try:
                with self.env.cr.savepoint():
                    values = line._execute()
            except Exception as error:  # any error is logged on the step
                _logger.info("Post-sale step %s failed: %s", line.id, error)
                values = {"state": "failed", "reason": str(error)[:500]}
            values.setdefault("state", "done")
            values["date_done"] = now
            line.write(values)
        enrolments._update_state()

    def _execute(self):
        """Run the step of the line; return the values to write on the line."""
        self.ensure_one()
        step = self.step_id
        enrolment = self.enrolment_id
        order = enrolment.sale_order_id
        partner = enrolment.partner_id
        record = order if step.condition_model == "order" else partner
        if not record:
            return {
                "state": "skipped",
                "reason": self.env._("No sale order to check the condition on."),
            }
        domain = step._condition()
        if domain and not record.search_count(
            [("id", "=", record.id), *domain], limit=1
        ):
            return {"state": "skipped", "reason": self.env._("Condition not met.")}
        return getattr(self, f"_execute_{step.action}")()

    def _execute_email(self):
        template = self.step_id.mail_template_id
        record = self._step_record(template.model)
        contact = self.enrolment_id.sale_order_id.partner_id or self.partner_id
        if not contact.email:
            raise UserError(
                self.env._(
                    "%(customer)s has no email address.", customer=contact.display_name
                )
            )
        message = record.message_post_with_source(
            template, message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        return {"mail_message_id": message[:1].id}

    def _execute_activity(self):
        step = self.step_id
        order = self.enrolment_id.sale_order_id
        if step.assign_to == "user":
            user = step.user_id
        elif step.assign_to == "salesperson":
            user = order.user_id or self.partner_id.user_id
        else:
            user = self.partner_id.user_id
        user = user or self.program_id.user_id
        if not user:
            raise UserError(self.env._("Nobody to assign the activity to."))
        activity = (order or self.partner_id).activity_schedule(
            activity_type_id=step.activity_type_id.id,
            summary=step.activity_summary or step.name,
            user_id=user.id,
            date_deadline=fields.Date.context_today(self),
        )
        return {"activity_id": activity[:1].id}

    def _execute_survey(self):
        survey = self.step_id.survey_id
        contact = self.enrolment_id.sale_order_id.partner_id or self.partner_id
        if not contact.email:
            raise UserError(
                self.env._(
                    "%(customer)s has no email address.", customer=contact.display_name
                )
            )
        user_input = survey._create_answer(
            partner=contact, email=contact.email, check_attempts=False
        )
        template = self.env.ref(
            "relationship_mgmt.relationship_program_mail_template_survey"
        )
        message = user_input.message_post_with_source(
            template, message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        return {"survey_user_input_id": user_input.id, "mail_message_id": message.id}

    def _execute_server_action(self):
        action = self.step_id.server_action_id
        record = self._step_record(action.model_id.model)
        action.with_context(
            active_model=record._name, active_id=record.id, active_ids=record.ids
        ).run()
        return {}

    def _step_record(self, model):
        """The order or the customer a template or server action works on."""
        if model == "sale.order":
            order = self.enrolment_id.sale_order_id
            if not order:
                raise UserError(self.env._("The enrolment has no sale order."))
            return order
        return self.partner_id

    # ------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------

    @api.model
    def _cron_run_due_steps(self, batch_size=RUN_BATCH):
        """Run every due step, ``batch_size`` per transaction (see
        ``_run_due_steps``).

        :return: number of lines processed
        """
        return self._run_due_steps(batch_size=batch_size, commit=None)

    @api.model
    def _run_due_steps(self, company=None, batch_size=RUN_BATCH, commit=False):
        """Run the due steps (of ``company`` when given), ``batch_size`` at a
        time, committing after each batch when ``commit`` (None: as a cron
        does, see ``batch_runner.may_commit``). Each line is locked (``FOR
        UPDATE SKIP LOCKED``) and leaves the scheduled state in the
        transaction that runs it, so a step runs once even when two workers
        run the due steps at the same time.

        :return: number of lines processed
        """
        if commit is None:
            commit = batch_runner.may_commit()
        now = fields.Datetime.now()
        processed = []
        while True:
            lines = self._lock_due_lines(now, batch_size, processed, company)
            if not lines:
                break
            processed += lines.ids
            lines._run()
            self.env.flush_all()
            if commit:  # pragma: no cover - tests never commit
                self.env.cr.commit()  # pylint: disable=invalid-commit
        _logger.info("Post-sale programs: %s due steps processed", len(processed))
        return len(processed)
