from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import safe_eval

from ..tools.working_time import add_work_days, has_working_time
from .relationship_program import add_business_days

ACTIONS = [
    ("email", "Send an email"),
    ("activity", "Create an activity"),
    ("survey", "Send a satisfaction survey"),
    ("server_action", "Run a server action"),
]
# Models a step's mail template or server action may work on.
STEP_MODELS = ("sale.order", "res.partner")


class RelationshipProgramStep(models.Model):
    """One step of a post-sale program: an action run a delay after the
    trigger, when its condition holds."""

    _name = "relationship.program.step"
    _description = "Post-sale Program Step"
    _inherit = ["relationship.input.check"]
    _order = "program_id, sequence, delay_days, id"

    program_id = fields.Many2one(
        "relationship.program", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    delay_days = fields.Integer(
        string="Delay (days)",
        default=0,
        help="Days after the trigger (order confirmation, delivery, payment or "
        "manual enrolment) when the step runs.",
    )
    business_days = fields.Boolean(
        help="Count only the working days of the company's working hours "
        "(Settings > Technical > Working Schedules) in the delay: weekends and "
        "public holidays (time off without a resource) are skipped. Without a "
        "working schedule, Monday to Friday.",
    )
    action = fields.Selection(ACTIONS, required=True, default="email")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', 'in', ('sale.order', 'res.partner'))]",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        domain="[('res_model', 'in', (False, 'sale.order', 'res.partner'))]",
    )
    activity_summary = fields.Char()
    assign_to = fields.Selection(
        [
            ("salesperson", "Salesperson of the order"),
            ("account_manager", "Account manager of the customer"),
            ("user", "A given user"),
        ],
        default="salesperson",
        help="Activities without an assignee go to the program's responsible.",
    )
    user_id = fields.Many2one(
        "res.users", string="Assigned User", domain="[('share', '=', False)]"
    )
    survey_id = fields.Many2one("survey.survey")
    server_action_id = fields.Many2one(
        "ir.actions.server",
        domain="[('model_id.model', 'in', ('sale.order', 'res.partner'))]",
    )
    condition_model = fields.Selection(
        [("order", "Sale order"), ("partner", "Customer")],
        string="Condition On",
        default="partner",
        required=True,
    )
    condition_model_name = fields.Char(compute="_compute_condition_model_name")
    condition_domain = fields.Char(
        string="Condition",
        default="[]",
        help="The step runs only if the order or the customer matches this "
        "domain; otherwise it is skipped.",
    )
    line_count = fields.Integer(string="Planned", compute="_compute_results")
    done_count = fields.Integer(string="Done", compute="_compute_results")
    skipped_count = fields.Integer(string="Skipped", compute="_compute_results")
    failed_count = fields.Integer(string="Failed", compute="_compute_results")
    completion_rate = fields.Float(
        string="Completion (%)", compute="_compute_results", digits=(5, 1)
    )
    response_rate = fields.Float(
        string="Response (%)",
        compute="_compute_results",
        digits=(5, 1),
        help="Surveys: share of those sent that the customers answered.",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("condition_model")
    def _compute_condition_model_name(self):
        for step in self:
            step.condition_model_name = (
                "sale.order" if step.condition_model == "order" else "res.partner"
            )

    def _compute_results(self):
        counts = defaultdict(lambda: defaultdict(int))
        for step, state, responded, count in self.env[
            "relationship.program.enrolment.line"
        ]._read_group(
            [("step_id", "in", self.ids)],
            ["step_id", "state", "is_responded"],
            ["__count"],
        ):
            counts[step.id][state] += count
            if responded:
                counts[step.id]["responded"] += count
        for step in self:
            result = counts[step.id]
            total = sum(result[state] for state in ("scheduled", "done", "skipped"))
            total += result["failed"]
            step.line_count = total
            step.done_count = result["done"]
            step.skipped_count = result["skipped"]
            step.failed_count = result["failed"]
            step.completion_rate = result["done"] * 100.0 / total if total else 0.0
            step.response_rate = (
                result["responded"] * 100.0 / result["done"]
                if step.action == "survey" and result["done"]
                else 0.0
            )

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("delay_days")
    def _check_delay_days(self):
        for step in self:
            if step.delay_days < 0:
                raise ValidationError(
                    self.env._(
                        "Step “%(step)s”: the delay cannot be negative "
                        "(%(days)s days).",
                        step=step.name,
                        days=step.delay_days,
                    )
                )

    @api.constrains(
        "action",
        "mail_template_id",
        "activity_type_id",
        "survey_id",
        "server_action_id",
    )
    def _check_action(self):
        for step in self:
            if step.action == "email":
                step._check_email_template()
            elif step.action == "activity" and not step.activity_type_id:
                raise ValidationError(
                    self.env._(
                        "Step “%(step)s”: choose the type of activity to create.",
                        step=step.name,
                    )
                )
            elif step.action == "survey":
                step._check_survey()
            elif step.action == "server_action":
                action = step.server_action_id
                if not action:
                    raise ValidationError(
                        self.env._(
                            "Step “%(step)s”: choose the server action to run.",
                            step=step.name,
                        )
                    )
                if action.model_id.model not in STEP_MODELS:
                    raise ValidationError(
                        self.env._(
                            "Step “%(step)s”: server action “%(action)s” works on "
                            "%(model)s; it must work on sale orders or customers.",
                            step=step.name,
                            action=action.name,
                            model=action.model_id.model,
                        )
                    )

    def _check_email_template(self):
        template = self.mail_template_id
        if not template:
            raise ValidationError(
                self.env._(
                    "Step “%(step)s”: choose the email template to send.",
                    step=self.name,
                )
            )
        allowed = (
            STEP_MODELS if self.program_id.trigger != "manual" else STEP_MODELS[1:]
        )
        if template.model not in allowed:
            raise ValidationError(
                self.env._(
                    "Step “%(step)s”: template “%(template)s” is written for "
                    "%(model)s; use a template of %(allowed)s.",
                    step=self.name,
                    template=template.name,
                    model=template.model,
                    allowed=", ".join(allowed),
                )
            )

    def _check_survey(self):
        survey = self.survey_id
        if not survey:
            raise ValidationError(
                self.env._(
                    "Step “%(step)s”: choose the survey to send.", step=self.name
                )
            )
        if not survey.question_ids:
            raise ValidationError(
                self.env._(
                    "Step “%(step)s”: survey “%(survey)s” has no question.",
                    step=self.name,
                    survey=survey.title,
                )
            )

    @api.constrains("assign_to", "user_id", "action")
    def _check_user_id(self):
        for step in self:
            if (
                step.action == "activity"
                and step.assign_to == "user"
                and not (step.user_id)
            ):
                raise ValidationError(
                    self.env._(
                        "Step “%(step)s”: choose the user the activity is for.",
                        step=step.name,
                    )
                )

    @api.constrains("condition_domain", "condition_model")
    def _check_condition_domain(self):
        for step in self:
            try:
                domain = step._condition()
                self.env[step.condition_model_name].search_count(domain, limit=1)
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "Step “%(step)s”: the condition %(domain)s is not a valid "
                        "domain on %(model)s (%(error)s).",
                        step=step.name,
                        domain=step.condition_domain,
                        model=step.condition_model_name,
                        error=error,
                    )
                ) from error

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _condition(self):
        self.ensure_one()
        domain = safe_eval(self.condition_domain or "[]")
        if not isinstance(domain, list | tuple):
            raise ValueError(self.env._("a domain is a list"))
        return list(domain)

    def _dates_due(self, start):
        """``{step id: when the step runs for a trigger at start}``; the
        business-day steps of a company planned together on its working
        schedule (its time off read once)."""
        dates = {}
        by_calendar = defaultdict(list)
        for step in self:
            calendar = step.company_id.resource_calendar_id
            if not step.business_days:
                dates[step.id] = start + timedelta(days=step.delay_days)
            elif calendar and has_working_time(calendar):
                by_calendar[calendar].append(step)
            else:
                dates[step.id] = add_business_days(start, step.delay_days)
        for calendar, steps in by_calendar.items():
            planned = add_work_days(
                calendar, [(start, step.delay_days) for step in steps]
            )
            for step, date_due in zip(steps, planned, strict=True):
                dates[step.id] = date_due or add_business_days(start, step.delay_days)
        return dates
