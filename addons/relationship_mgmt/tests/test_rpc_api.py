import json

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..tools import rpc
from .common import TODAY
from .test_program import ProgramCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestRpcApi(ProgramCommon):
    """The public methods other systems call over XML-RPC: enrolling
    customers in a program, logging an interaction, and the readable errors
    wrong input gets."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Api Customer")
        cls.contact = cls.env["res.partner"].create(
            {"name": "Api Contact", "parent_id": cls.customer.id}
        )
        cls.program = cls._program("manual")

    def test_enrol_partners_enrols_each_customer_once(self):
        program = self.program.with_user(self.user_manager)
        result = program.enrol_partners([self.contact.id, self.customer.id])

        self.assertEqual(json.loads(json.dumps(result)), result)
        enrolment = self._enrolments(self.program, self.customer)
        self.assertEqual(
            result, {"enrolled": 1, "skipped": 0, "enrolment_ids": enrolment.ids}
        )
        self.assertEqual(len(enrolment.line_ids), 2)
        self.assertEqual(
            program.enrol_partners([self.customer.id]),
            {"enrolled": 0, "skipped": 1, "enrolment_ids": []},
        )

    def test_enrol_partners_refusals(self):
        customer_ids = [self.customer.id]
        with self.assertRaisesRegex(UserError, "only programs with a manual trigger"):
            self._program("order_confirmed").enrol_partners(customer_ids)
        archived = self._program("manual", active=False)
        with self.assertRaisesRegex(UserError, "is archived"):
            archived.enrol_partners(customer_ids)
        with self.assertRaisesRegex(UserError, "Give the ids of the customers"):
            self.program.enrol_partners()
        with self.assertRaisesRegex(UserError, r"one program at a time \(2 given\)"):
            (self.program | archived).enrol_partners(customer_ids)
        with self.assertRaisesRegex(UserError, "Partner ids must be a list"):
            self.program.enrol_partners(str(self.customer.id))
        other_company = self.env["res.company"].create({"name": "Api Elsewhere"})
        foreign = self._customer("Foreign", company_id=other_company.id)
        with self.assertRaisesRegex(UserError, "belong to another company"):
            self.program.enrol_partners([foreign.id])
        with self.assertRaisesRegex(AccessError, "not allowed to create"):
            self.program.with_user(self.user_relationship).enrol_partners(customer_ids)
        self.assertFalse(self.Enrolment.search([("partner_id", "=", self.customer.id)]))

    def test_interaction_values_are_checked_before_the_database(self):
        Interaction = self.env["relationship.interaction"].with_user(
            self.user_relationship
        )
        values = {"name": "Call", "partner_id": self.customer.id}
        for wrong, message in (
            ({"partner_id": "abc"}, "'abc' is not the id of an existing Customer"),
            ({"partner_id": 999999999}, "999999999 is not the id of an existing"),
            ({"contact_id": True}, "True is not the id of an existing"),
            ({"channel": "pigeon"}, "'pigeon' is not a valid Channel"),
            ({"date": "yesterday"}, "'yesterday' is not a date and time"),
        ):
            with self.subTest(wrong=wrong):
                with self.assertRaisesRegex(ValidationError, message):
                    Interaction.create(dict(values, **wrong))
        interaction = Interaction.create(dict(values, date="2026-06-14 10:00:00"))
        self.assertEqual(interaction.partner_id, self.customer)
        with self.assertRaisesRegex(AccessError, "not allowed to create"):
            Interaction.with_user(self.user_plain).create(values)

    def test_log_from_messages_refuses_unknown_ids(self):
        Interaction = self.env["relationship.interaction"]
        with self.assertRaisesRegex(UserError, "Unknown message ids: 999999999."):
            Interaction.log_from_messages([999999999])
        with self.assertRaisesRegex(UserError, "Message ids must be a list"):
            Interaction.log_from_messages("1,2")

    def test_long_id_lists_are_cut_in_messages(self):
        self.assertEqual(rpc.ids_text(self.env, [3, 1, 2]), "1, 2, 3")
        self.assertEqual(
            rpc.ids_text(self.env, range(100, 0, -1)),
            "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, … (100 in all)",
        )
        with self.assertRaisesRegex(UserError, r"… \(100001 in all\)\.$"):
            self.Engagement.recompute_engagement(list(range(10**9, 10**9 + 100001)))
