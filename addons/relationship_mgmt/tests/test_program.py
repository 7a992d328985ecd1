from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import TODAY, RelationshipCommon


class ProgramCommon(RelationshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Program = cls.env["relationship.program"]
        cls.Enrolment = cls.env["relationship.program.enrolment"]
        cls.template_order = cls.env.ref(
            "relationship_mgmt.relationship_program_mail_template_thank_you"
        )
        cls.template_partner = cls.env.ref(
            "relationship_mgmt.relationship_program_mail_template_tutorial"
        )
        cls.call = cls.env.ref("mail.mail_activity_data_call")

    @classmethod
    def _program(cls, trigger, steps=None, **values):
        steps = (
            steps
            if steps is not None
            else [
                {
                    "name": "Thanks",
                    "action": "email",
                    "mail_template_id": cls.template_order.id
                    if trigger != "manual"
                    else cls.template_partner.id,
                },
                {
                    "name": "Call",
                    "delay_days": 14,
                    "action": "activity",
                    "activity_type_id": cls.call.id,
                },
            ]
        )
        return cls.Program.create(
            {
                "name": f"{trigger} program",
                "trigger": trigger,
                "step_ids": [Command.create(step) for step in steps],
                **values,
            }
        )

    def _enrolments(self, program, partner=None):
        domain = [("program_id", "=", program.id)]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return self.Enrolment.search(domain)

    def _deliver(self, order):
        picking = order.picking_ids
        picking.move_ids.write({"quantity": 1.0, "picked": True})
        picking._action_done()
        return picking


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestProgramEnrolment(ProgramCommon):
    def test_confirmed_order_enrols_its_customer_once_with_dated_steps(self):
        program = self._program("order_confirmed")
        customer = self._customer("Buyer", email="buyer@example.com")

        order = self._order(customer, 0)
        order._enrol_in_programs()  # a second call enrols nothing more

        enrolment = self._enrolments(program, customer)
        self.assertEqual(len(enrolment), 1)
        self.assertEqual(enrolment.sale_order_id, order)
        self.assertEqual(enrolment.trigger_ref, f"sale.order,{order.id}")
        self.assertEqual(enrolment.state, "running")
        self.assertEqual(
            [(line.step_id.name, line.date_due.date()) for line in enrolment.line_ids],
            [("Thanks", TODAY), ("Call", TODAY.replace(day=29))],
        )
        self.assertEqual(order.program_enrolment_count, 1)
        self.assertEqual(customer.program_enrolment_count, 1)
        self.assertEqual(program.enrolment_count, 1)

    def test_first_order_program_enrols_only_the_first_order(self):
        program = self._program("first_order")
        customer = self._customer("Newcomer", email="new@example.com")
        contact = self.env["res.partner"].create(
            {"name": "Newcomer Contact", "parent_id": customer.id}
        )

        first = self._order(contact, 0)
        self._order(customer, 0)

        enrolment = self._enrolments(program)
        self.assertEqual(enrolment.sale_order_id, first)
        self.assertEqual(enrolment.partner_id, customer)

    def test_done_delivery_enrols_the_customer_of_the_order(self):
        program = self._program("delivery_done")
        customer = self._customer("Receiver", email="receiver@example.com")
        order = self._order(customer, 0)
        self.assertFalse(self._enrolments(program))

        picking = self._deliver(order)

        enrolment = self._enrolments(program)
        self.assertEqual(enrolment.picking_id, picking)
        self.assertEqual(enrolment.sale_order_id, order)

    def test_paid_invoice_enrols_its_customer(self):
        program = self._program(
            "invoice_paid",
            steps=[
                {
                    "name": "Thanks",
                    "action": "email",
                    "mail_template_id": self.template_partner.id,
                }
            ],
        )
        customer = self._customer("Payer", email="payer@example.com")
        invoice = self._invoice(customer, 0, 200.0)
        self.assertFalse(self._enrolments(program))

        self._pay(invoice, 0)

        enrolment = self._enrolments(program)
        self.assertEqual(enrolment.invoice_id, invoice)
        self.assertEqual(enrolment.partner_id, customer)

    def test_first_order_program_enrols_a_customer_once_for_good(self):
        """A cancelled first order makes the next confirmed order the first
        one again: the customer is welcomed once all the same."""
        program = self._program("first_order")
        customer = self._customer("Hesitant", email="hesitant@example.com")
        first = self._order(customer, 3)
        first._action_cancel()

        second = self._order(customer, 0)

        enrolment = self._enrolments(program)
        self.assertEqual(len(enrolment), 1)
        self.assertEqual(enrolment.sale_order_id, first)
        self.assertEqual(enrolment.trigger_ref, "first_order")
        self.assertFalse(second.program_enrolment_count)

    def test_backorder_of_a_delivery_does_not_enrol_again(self):
        program = self._program("delivery_done")
        customer = self._customer("Patient", email="patient@example.com")
        order = self._order(customer, 0, confirm=False)
        order.order_line.product_uom_qty = 2.0
        order.action_confirm()
        picking = order.picking_ids
        picking.move_ids.write({"quantity": 1.0, "picked": True})
        wizard = picking.button_validate()  # asks whether to keep a backorder
        Form(
            self.env[wizard["res_model"]].with_context(**wizard["context"])
        ).save().process()
        backorder = order.picking_ids - picking
        self.assertTrue(backorder)

        backorder.move_ids.write({"quantity": 1.0, "picked": True})
        backorder._action_done()

        enrolment = self._enrolments(program)
        self.assertEqual(len(enrolment), 1)
        self.assertEqual(enrolment.picking_id, picking)
        self.assertEqual(enrolment.trigger_ref, f"sale.order,{order.id}")

    def test_companies_and_colleagues_are_never_enrolled(self):
        """The rule of the scores: the companies' own partners and the
        internal users are no customers, whichever path enrols them."""
        on_order = self._program("order_confirmed")
        by_hand = self._program("manual")
        company = self.env.company.partner_id
        colleague = self.user_manager.partner_id
        customer = self._customer("Real", email="real@example.com")
        for partner in (colleague, customer):
            self._order(partner, 0)

        self.assertEqual(self._enrolments(on_order).partner_id, customer)
        result = by_hand.enrol_partners((company | colleague | customer).ids)
        self.assertEqual((result["enrolled"], result["skipped"]), (1, 2))
        self.assertEqual(self._enrolments(by_hand).partner_id, customer)

    def test_filters_on_amount_team_category_and_segment(self):
        category = self.env["product.category"].create({"name": "Machines"})
        other_team = self.env["crm.team"].create({"name": "Other team"})
        program = self._program("order_confirmed", amount_min=150.0)
        by_team = self._program(
            "order_confirmed", team_ids=[Command.set(other_team.ids)]
        )
        by_category = self._program(
            "order_confirmed", categ_ids=[Command.set(category.ids)]
        )
        by_segment = self._program("order_confirmed", rfm_segment="champions")
        small = self._customer("Small", email="small@example.com")
        big = self._customer("Big", email="big@example.com")

        self._order(small, 0, amount=100.0)
        self._order(big, 0, amount=300.0)

        self.assertEqual(self._enrolments(program).partner_id, big)
        self.assertFalse(self._enrolments(by_team))
        self.assertFalse(self._enrolments(by_category))
        self.assertFalse(self._enrolments(by_segment))
        self.product.categ_id = category
        self._recompute(big)
        self._engagement(big).sudo().rfm_segment = "champions"
        self._order(big, 0, amount=300.0)
        self.assertEqual(self._enrolments(by_category).partner_id, big)
        self.assertEqual(self._enrolments(by_segment).partner_id, big)

    def test_manual_enrolment_from_selection_and_segment(self):
        program = self._program("manual")
        first = self._customer("First", email="first@example.com")
        second = self._customer("Second", email="second@example.com")
        self._order(second, 5)
        self._recompute(second)
        self._engagement(second).sudo().rfm_segment = "at_risk"

        wizard = Form(
            self.env["relationship.program.enrol.wizard"]
            .with_user(self.user_manager)
            .with_context(active_model="res.partner", active_ids=first.ids)
        )
        wizard.program_id = program
        wizard.save().action_enrol()
        segment = self.env["relationship.program.enrol.wizard"].create(
            {"program_id": program.id, "target": "segment", "rfm_segment": "at_risk"}
        )
        segment.action_enrol()
        segment.action_enrol()  # already enrolled: skipped

        self.assertEqual(self._enrolments(program).partner_id, first | second)
        self.assertEqual(
            self._enrolments(program).mapped("trigger_ref"), ["manual"] * 2
        )
        triggered = self._program("order_confirmed")
        with self.assertRaises(UserError):
            triggered._enrol_partners(first)

    def test_bad_steps_raise_clear_errors(self):
        program = self._program("order_confirmed", steps=[])
        Step = self.env["relationship.program.step"]
        base = {"program_id": program.id, "name": "Bad"}
        invoice_template = self.env["mail.template"].create(
            {
                "name": "Invoice",
                "model_id": self.env.ref("account.model_account_move").id,
            }
        )
        empty_survey = self.env["survey.survey"].create({"title": "Empty"})
        cases = [
            (
                "negative",
                {
                    "action": "activity",
                    "activity_type_id": self.call.id,
                    "delay_days": -1,
                },
            ),
            ("choose the email template", {"action": "email"}),
            (
                "written for account.move",
                {"action": "email", "mail_template_id": invoice_template.id},
            ),
            ("type of activity", {"action": "activity"}),
            ("has no question", {"action": "survey", "survey_id": empty_survey.id}),
            ("server action to run", {"action": "server_action"}),
            (
                "not a valid domain",
                {
                    "action": "activity",
                    "activity_type_id": self.call.id,
                    "condition_domain": "[('nope', '=', 1)]",
                },
            ),
        ]
        for message, values in cases:
            with (
                self.subTest(message),
                self.assertRaisesRegex(ValidationError, message),
            ):
                Step.create({**base, **values})
        manual = self._program("manual", steps=[])
        with self.assertRaisesRegex(ValidationError, "written for sale.order"):
            Step.create(
                {
                    "program_id": manual.id,
                    "name": "Order email",
                    "action": "email",
                    "mail_template_id": self.template_order.id,
                }
            )

    def test_access_rights(self):
        program = self._program("order_confirmed")
        salesman = new_test_user(
            self.env,
            login="rel_salesman",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=self.env.company.id,
            company_ids=[Command.set(self.env.company.ids)],
        )
        customer = self._customer("Sold", email="sold@example.com")
        order = self._order(customer, 0, confirm=False)

        order.with_user(salesman).action_confirm()

        enrolment = self._enrolments(program)
        self.assertEqual(len(enrolment), 1)
        Enrolment = self.Enrolment.with_user(self.user_relationship)
        self.assertEqual(Enrolment.search([("id", "=", enrolment.id)]), enrolment)
        self.assertEqual(program.with_user(self.user_relationship).enrolment_count, 1)
        with self.assertRaises(AccessError):
            self.Program.with_user(self.user_relationship).create(
                {"name": "Not mine", "trigger": "manual"}
            )
        with self.assertRaises(AccessError):
            enrolment.with_user(self.user_relationship).action_stop()
        with self.assertRaises(AccessError):
            self.Enrolment.with_user(self.user_plain).search([])
        with self.assertRaises(AccessError):
            self.env["relationship.program.enrol.wizard"].with_user(
                self.user_relationship
            ).create({"program_id": program.id})
        enrolment.with_user(self.user_manager).action_stop()
        self.assertEqual(enrolment.state, "stopped")
        self.assertEqual(set(enrolment.line_ids.mapped("state")), {"skipped"})

    def test_program_steps_and_enrolments_in_the_web_client(self):
        with Form(self.Program.with_user(self.user_manager)) as form:
            form.name = "Web program"
            form.trigger = "order_confirmed"
            with form.step_ids.new() as step:
                step.name = "Thanks"
                step.action = "email"
                step.mail_template_id = self.template_order
            with form.step_ids.new() as step:
                step.name = "Call"
                step.delay_days = 14
                step.action = "activity"
                step.activity_type_id = self.call
        program = form.record
        self.assertEqual(program.step_ids.mapped("name"), ["Thanks", "Call"])
        customer = self._customer("Web Customer", email="web@example.com")
        order = self._order(customer, 0)
        enrolment = self._enrolments(program)

        for action in (
            program.action_view_enrolments(),
            order.action_view_program_enrolments(),
            customer.action_view_program_enrolments(),
        ):
            self.assertEqual(self.Enrolment.search(action["domain"]), enrolment)
        self.assertEqual(
            program.action_view_steps_results()["domain"],
            [("program_id", "=", program.id)],
        )
        self.assertEqual(enrolment.action_view_trigger_document()["res_id"], order.id)
        form = Form(enrolment.with_user(self.user_relationship))
        self.assertEqual(form.state, "running")
        self.assertEqual(len(form.line_ids), 2)
        self.assertEqual(enrolment.progress, 0.0)
        for model in (
            "relationship.program",
            "relationship.program.step",
            "relationship.program.enrolment",
            "relationship.program.enrolment.line",
        ):
            views = (
                self.env[model]
                .with_user(self.user_relationship)
                .get_views([(False, "list"), (False, "form"), (False, "search")])
            )
            self.assertEqual(set(views["views"]), {"list", "form", "search"})
