from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestAnalyticsReports(RelationshipCommon):
    def test_customer_month_report_joins_orders_invoices_and_margin(self):
        customer = self._customer("Monthly Report")
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": customer.id}
        )
        self._order(contact, 0, 150.0)
        self._order(customer, 1, 250.0)
        self._invoice(customer, 0, 400.0)
        self._invoice(customer, 0, 30.0, move_type="out_refund")
        self._order(customer, 40, 999.0)  # another month

        self.env.flush_all()
        rows = self.env["relationship.customer.month.report"].search(
            [("partner_id", "=", customer.id), ("date", "=", TODAY.replace(day=1))]
        )
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows.order_count, 2)
        self.assertAlmostEqual(rows.order_amount, 400.0)
        # Cost 60 per order.
        self.assertAlmostEqual(rows.margin, 280.0)
        self.assertAlmostEqual(rows.invoiced_amount, 370.0)
        user_rows = self.env(user=self.user_relationship)[
            "relationship.customer.month.report"
        ].search([("partner_id", "=", customer.id)])
        self.assertEqual(len(user_rows), 2)
        self.assertEqual(
            set(
                self.env(user=self.user_relationship)[
                    "relationship.customer.month.report"
                ].get_views([(False, "pivot"), (False, "graph"), (False, "list")])[
                    "views"
                ]
            ),
            {"pivot", "graph", "list"},
        )

    def test_conversion_report_counts_won_leads_turning_into_first_orders(self):
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        fresh = self._customer("Fresh Customer")
        existing = self._customer("Existing Customer")
        self._order(existing, 300, 100.0)
        leads = self.env["crm.lead"].create(
            [
                {"name": "Fresh deal", "type": "opportunity", "partner_id": fresh.id},
                {"name": "Upsell", "type": "opportunity", "partner_id": existing.id},
            ]
        )
        leads.write({"stage_id": won_stage.id})
        # create_date is the database's clock, not the frozen one.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET create_date = %s WHERE id IN %s",
            (TODAY, tuple(leads.ids)),
        )
        with freeze_time(TODAY + timedelta(days=12)):
            self._order(fresh, -12, 500.0)
        self.env.flush_all()
        Report = self.env["relationship.conversion.report"]
        fresh_row = Report.search([("lead_id", "=", leads[0].id)])
        existing_row = Report.search([("lead_id", "=", leads[1].id)])
        self.assertTrue(fresh_row.is_new_customer)
        self.assertTrue(fresh_row.is_converted)
        self.assertEqual(fresh_row.days_to_first_order, 12)
        self.assertFalse(existing_row.is_new_customer)
        self.assertFalse(existing_row.is_converted)
        self.assertFalse(existing_row.days_to_first_order)

    def _engagements_of(self, *partners):
        self.Engagement._recompute_company(self.env.company, full=True)
        return self.Engagement.search([("partner_id", "in", [p.id for p in partners])])

    def test_activity_wizard_schedules_once_per_customer(self):
        with_rep = self._customer("With Salesperson", user_id=self.user_manager.id)
        without_rep = self._customer("Without Salesperson")
        for customer in (with_rep, without_rep):
            self._order(customer, 5, 100.0)
        engagements = self._engagements_of(with_rep, without_rep)
        call = self.env.ref("mail.mail_activity_data_call")

        def run():
            wizard_form = Form(
                self.env["relationship.activity.wizard"].with_context(
                    active_model="relationship.engagement",
                    active_ids=engagements.ids,
                )
            )
            wizard_form.summary = "Check in"
            wizard_form.deadline_days = 7
            return wizard_form.save().action_schedule()

        result = run()
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", [with_rep.id, without_rep.id]),
                ("activity_type_id", "=", call.id),
            ]
        )
        self.assertEqual(len(activities), 2)
        by_partner = {activity.res_id: activity for activity in activities}
        self.assertEqual(by_partner[with_rep.id].user_id, self.user_manager)
        self.assertEqual(by_partner[without_rep.id].user_id, self.env.user)
        self.assertEqual(
            by_partner[with_rep.id].date_deadline, TODAY + timedelta(days=7)
        )
        self.assertIn("2 activities", result["params"]["message"])
        # Run again: nothing new.
        result = run()
        self.assertIn("0 activities", result["params"]["message"])

    def test_activity_wizard_for_a_segment_and_bad_input(self):
        customer = self._customer("Segment Member")
        self._order(customer, 5, 100.0)
        self._engagements_of(customer)
        segment = self._engagement(customer).rfm_segment
        Wizard = self.env["relationship.activity.wizard"]
        wizard = Wizard.create(
            {
                "target": "segment",
                "rfm_segment": segment,
                "assign_to": "user",
                "user_id": self.user_relationship.id,
            }
        )
        wizard.action_schedule()
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", customer.id)]
        )
        self.assertEqual(activity.user_id, self.user_relationship)

        with self.assertRaises(ValidationError):
            Wizard.create({"deadline_days": -1})
        with self.assertRaisesRegex(UserError, "Choose the user"):
            Wizard.create({"assign_to": "user"}).action_schedule()
        with self.assertRaisesRegex(UserError, "no customer"):
            Wizard.create({}).action_schedule()
        with self.assertRaisesRegex(UserError, "Choose the RFM segment"):
            Wizard.create({"target": "segment"}).action_schedule()
        with self.assertRaises(AccessError):
            self.env(user=self.user_relationship)[
                "relationship.activity.wizard"
            ].create({})
