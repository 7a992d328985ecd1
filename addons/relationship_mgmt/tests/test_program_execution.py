from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.sql_db import db_connect
from odoo.tests import tagged

from ..models.relationship_program import add_business_days
from .common import TODAY
from .test_program import ProgramCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestProgramExecution(ProgramCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Line = cls.env["relationship.program.enrolment.line"]

    def _template_messages(self, record):
        return self.env["mail.message"].search(
            [
                ("model", "=", record._name),
                ("res_id", "=", record.id),
                ("message_type", "=", "comment"),
            ]
        )

    def _activities(self, record):
        return self.env["mail.activity"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)]
        )

    def test_due_steps_run_once_and_only_once(self):
        program = self._program("order_confirmed")
        customer = self._customer("Once", email="once@example.com")
        order = self._order(customer, 0)
        enrolment = self._enrolments(program)
        thanks, call = enrolment.line_ids

        self.Line._cron_run_due_steps()
        self.Line._cron_run_due_steps()

        self.assertEqual(thanks.state, "done")
        self.assertEqual(len(self._template_messages(order)), 1)
        self.assertEqual(thanks.mail_message_id, self._template_messages(order))
        self.assertIn(customer, thanks.mail_message_id.partner_ids)
        self.assertEqual(call.state, "scheduled")
        self.assertFalse(self._activities(order))
        with freeze_time(TODAY + timedelta(days=14)):
            self.Line._cron_run_due_steps()
            self.Line._cron_run_due_steps()
        self.assertEqual(call.state, "done")
        self.assertEqual(len(self._activities(order)), 1)
        self.assertEqual(call.activity_id.user_id, order.user_id)
        self.assertEqual(enrolment.state, "done")
        self.assertEqual(program.completion_rate, 100.0)
        self.assertEqual((thanks.step_id.done_count, thanks.step_id.line_count), (1, 1))

    def test_business_days_skip_the_weekend(self):
        friday = datetime(2026, 6, 19, 10)
        self.assertEqual(add_business_days(friday, 3), datetime(2026, 6, 24, 10))
        program = self._program(
            "manual",
            steps=[
                {
                    "name": "Call",
                    "delay_days": 5,
                    "business_days": True,
                    "action": "activity",
                    "activity_type_id": self.call.id,
                }
            ],
        )
        enrolment = program._enrol_partners(self._customer("Weekday"))
        self.assertEqual(enrolment.line_ids.date_due.date(), TODAY + timedelta(days=7))

    def test_step_failure_is_logged_and_does_not_stop_the_others(self):
        program = self._program(
            "manual",
            steps=[
                {
                    "name": "Tutorial",
                    "action": "email",
                    "mail_template_id": self.template_partner.id,
                },
                {
                    "name": "Call",
                    "action": "activity",
                    "activity_type_id": self.call.id,
                    "assign_to": "user",
                    "user_id": self.user_manager.id,
                },
            ],
        )
        no_email = self._customer("No Email")
        fine = self._customer("Fine", email="fine@example.com")
        enrolments = program._enrol_partners(no_email | fine)

        self.Line._cron_run_due_steps()

        failed = enrolments.line_ids.filtered(lambda line: line.state == "failed")
        self.assertEqual(failed.partner_id, no_email)
        self.assertEqual(failed.step_id.name, "Tutorial")
        self.assertIn("has no email address", failed.reason)
        self.assertEqual(
            sorted(enrolments.line_ids.mapped("state")),
            ["done", "done", "done", "failed"],
        )
        self.assertEqual(len(self._activities(no_email)), 1)
        self.assertEqual(len(self._template_messages(fine)), 1)
        self.assertEqual(set(enrolments.mapped("state")), {"done"})

    def test_condition_not_met_skips_the_step(self):
        program = self._program(
            "order_confirmed",
            steps=[
                {
                    "name": "Big orders only",
                    "action": "activity",
                    "activity_type_id": self.call.id,
                    "condition_model": "order",
                    "condition_domain": "[('amount_untaxed', '>=', 1000)]",
                },
            ],
        )
        order = self._order(self._customer("Small", email="s@example.com"), 0)

        self.Line._cron_run_due_steps()

        line = self._enrolments(program).line_ids
        self.assertEqual((line.state, line.reason), ("skipped", "Condition not met."))
        self.assertFalse(self._activities(order))

    def test_stop_rules_skip_remaining_steps_with_the_reason(self):
        program = self._program("order_confirmed")
        cancelled = self._customer("Cancelled", email="c@example.com")
        returned = self._customer("Returned", email="r@example.com")
        opted_out = self._customer("Opted Out", email="o@example.com")
        blacklisted = self._customer("Blacklisted", email="b@example.com")
        archived = self._customer("Archived", email="a@example.com")
        kept = self._customer("Kept", email="k@example.com")
        orders = {
            partner: self._order(partner, 0)
            for partner in (cancelled, returned, opted_out, blacklisted, archived, kept)
        }
        self.Line._cron_run_due_steps()  # the thank-you emails go out

        orders[cancelled]._action_cancel()
        picking = self._deliver(orders[returned])
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({})
        )
        wizard.product_return_moves.quantity = 1.0
        return_picking = self.env["stock.picking"].browse(
            wizard.action_create_returns()["res_id"]
        )
        return_picking.move_ids.write({"quantity": 1.0, "picked": True})
        return_picking._action_done()
        opted_out.relationship_program_opt_out = True
        self.env["mail.blacklist"]._add("b@example.com")
        archived.action_archive()

        with freeze_time(TODAY + timedelta(days=14)):
            self.Line._cron_run_due_steps()

        reasons = {
            enrolment.partner_id: (
                enrolment.state,
                enrolment.line_ids[-1].state,
                enrolment.line_ids[-1].reason,
            )
            for enrolment in self._enrolments(program).with_context(active_test=False)
        }
        order = orders[cancelled].name
        self.assertEqual(
            reasons[cancelled], ("stopped", "skipped", f"Order {order} cancelled.")
        )
        order = orders[returned].name
        self.assertEqual(
            reasons[returned],
            ("stopped", "skipped", f"Goods of order {order} returned."),
        )
        self.assertEqual(
            reasons[opted_out],
            ("stopped", "skipped", "Customer opted out of post-sale programs."),
        )
        self.assertEqual(
            reasons[blacklisted],
            ("stopped", "skipped", "Customer's email is blacklisted."),
        )
        self.assertEqual(
            reasons[archived], ("stopped", "skipped", "Customer archived.")
        )
        self.assertEqual(reasons[kept], ("done", "done", False))
        self.assertEqual(len(self._activities(orders[kept])), 1)
        self.assertFalse(self._activities(orders[cancelled]))

    def test_survey_answers_become_csat_and_nps_of_the_program(self):
        survey = self.env["survey.survey"].create(
            {"title": "NPS", "access_mode": "public"}
        )
        question = self.env["survey.question"].create(
            {
                "survey_id": survey.id,
                "title": "Recommend us?",
                "question_type": "scale",
                "scale_min": 0,
                "scale_max": 10,
            }
        )
        survey.write(
            {"relationship_kind": "nps", "relationship_question_id": question.id}
        )
        program = self._program(
            "delivery_done",
            steps=[
                {
                    "name": "Survey",
                    "delay_days": 7,
                    "action": "survey",
                    "survey_id": survey.id,
                },
            ],
        )
        promoter = self._customer("Promoter", email="p@example.com")
        silent = self._customer("Silent", email="silent@example.com")
        for customer in (promoter, silent):
            self._deliver(self._order(customer, 0))

        with freeze_time(TODAY + timedelta(days=7)):
            self.Line._cron_run_due_steps()

        lines = self._enrolments(program).line_ids
        self.assertEqual(lines.mapped("state"), ["done", "done"])
        answer = lines.filtered(
            lambda line: line.partner_id == promoter
        ).survey_user_input_id
        self.assertEqual(answer.partner_id, promoter)
        self.assertTrue(
            answer.message_ids.filtered(lambda m: m.message_type == "comment")
        )
        answer.sudo().write(
            {
                "state": "done",
                "user_input_line_ids": [
                    Command.create(
                        {
                            "question_id": question.id,
                            "answer_type": "scale",
                            "value_scale": 10,
                        }
                    )
                ],
            }
        )
        self.env.flush_all()  # the import reads the answers with SQL
        responses = self.env["relationship.satisfaction"]._cron_import_survey_answers()

        self.assertEqual(
            [(r.partner_id, r.kind, r.value, r.program_id) for r in responses],
            [(promoter, "nps", 10, program)],
        )
        self.assertEqual(program.satisfaction_count, 1)
        self.assertEqual(program.nps_score, 100.0)
        self.assertEqual(program.response_rate, 50.0)
        self.assertEqual(lines.step_id.response_rate, 50.0)


@tagged("post_install", "-at_install")
class TestProgramConcurrency(ProgramCommon):
    """Two cron workers at once, on committed data: a step locked by one is
    skipped by the other, and runs once."""

    def test_step_locked_by_another_worker_is_not_run_twice(self):
        dbname = self.env.cr.dbname
        with db_connect(dbname).cursor() as setup_cr:
            env = api.Environment(setup_cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create(
                {"name": "Concurrent Customer", "email": "concurrent@example.com"}
            )
            program = env["relationship.program"].create(
                {
                    "name": "Concurrent program",
                    "trigger": "manual",
                    "company_id": env.ref("base.main_company").id,
                    "step_ids": [
                        Command.create(
                            {
                                "name": "Call",
                                "action": "activity",
                                "activity_type_id": env.ref(
                                    "mail.mail_activity_data_call"
                                ).id,
                                "assign_to": "user",
                                "user_id": SUPERUSER_ID,
                            }
                        )
                    ],
                }
            )
            line_id = program._enrol_partners(partner).line_ids.id
            ids = {"partner": partner.id, "program": program.id}
            setup_cr.commit()
        try:
            with (
                db_connect(dbname).cursor() as worker_a,
                db_connect(dbname).cursor() as worker_b,
            ):
                # Worker A locks the due step as the cron does, and holds it.
                lines_a = api.Environment(worker_a, SUPERUSER_ID, {})[
                    "relationship.program.enrolment.line"
                ]._lock_due_lines(fields.Datetime.now(), 10)
                self.assertIn(line_id, lines_a.ids)
                # Worker B runs the cron meanwhile: the locked step is skipped.
                env_b = api.Environment(worker_b, SUPERUSER_ID, {})
                env_b["relationship.program.enrolment.line"]._cron_run_due_steps()
                self.assertEqual(
                    env_b["relationship.program.enrolment.line"].browse(line_id).state,
                    "scheduled",
                )
                worker_b.commit()
                # Worker A runs it and commits; then B runs the cron again.
                lines_a.browse(line_id)._run()
                worker_a.commit()
                env_b.invalidate_all()
                env_b["relationship.program.enrolment.line"]._cron_run_due_steps()
                worker_b.commit()
                activities = env_b["mail.activity"].search(
                    [("res_model", "=", "res.partner"), ("res_id", "=", ids["partner"])]
                )
                self.assertEqual(len(activities), 1)
                self.assertEqual(
                    env_b["relationship.program.enrolment.line"].browse(line_id).state,
                    "done",
                )
        finally:
            with db_connect(dbname).cursor() as cleanup_cr:
                env = api.Environment(cleanup_cr, SUPERUSER_ID, {})
                env["mail.activity"].search(
                    [("res_model", "=", "res.partner"), ("res_id", "=", ids["partner"])]
                ).unlink()
                env["relationship.program"].browse(ids["program"]).unlink()
                env["res.partner"].browse(ids["partner"]).unlink()
                cleanup_cr.commit()
