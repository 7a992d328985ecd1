import json

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestRelationshipPrivacy(RelationshipCommon):
    def _profiled_customer(self):
        customer = self._customer("Data Subject", email="subject@example.com")
        self._order(customer, 5, 300.0)
        self.env["relationship.interaction"].create(
            {"partner_id": customer.id, "name": "Call", "channel": "phone"}
        )
        self.env["relationship.satisfaction"].create(
            {"partner_id": customer.id, "kind": "csat", "value": 4}
        )
        self.Engagement._recompute_company(self.env.company, full=True)
        self.env["relationship.analytics"]._refresh_company(self.env.company)
        return customer

    def test_export_lists_everything_held_about_the_customer(self):
        customer = self._profiled_customer()
        contact = self.env["res.partner"].create(
            {"name": "Subject's colleague", "parent_id": customer.id}
        )

        data = contact.relationship_export_data()

        self.assertEqual(list(data), [str(customer.id)])
        models = data[str(customer.id)]["models"]
        for model in (
            "relationship.engagement",
            "relationship.engagement.snapshot",
            "relationship.analytics",
            "relationship.interaction",
            "relationship.satisfaction",
        ):
            self.assertEqual(len(models[model]), 1, model)
        self.assertEqual(models["relationship.satisfaction"][0]["value"], 4)
        json.dumps(data)  # plain data, as XML-RPC needs

        action = customer.action_relationship_export()
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        exported = json.loads(attachment.raw)
        self.assertIn(str(customer.id), exported)
        html, __ = self.env["ir.actions.report"]._render_qweb_html(
            "relationship_mgmt.relationship_privacy_report", customer.ids
        )
        self.assertIn(b"Data Subject", html)
        self.assertIn(b"Customer Engagement", html)

    def test_erase_deletes_everything_and_logs_it(self):
        customer = self._profiled_customer()
        other = self._customer("Someone Else")
        self._order(other, 5, 100.0)
        self.Engagement._recompute_company(self.env.company, full=True)
        note = (
            self.env["relationship.interaction"]
            .search([("partner_id", "=", customer.id)])
            .message_id
        )
        self.assertTrue(note, "logging the call posted a note")

        counts = customer.relationship_erase_data()

        self.assertEqual(counts["relationship.engagement"], 1)
        self.assertEqual(counts["relationship.interaction"], 1)
        data = customer.relationship_export_data()[str(customer.id)]["models"]
        self.assertFalse(any(data.values()))
        self.assertTrue(self._engagement(other))
        self.assertFalse(note.exists(), "the interaction's note goes with it")
        if "privacy.log" in self.env:
            log = self.env["privacy.log"].search([], order="id desc", limit=1)
            self.assertIn("relationship.engagement 1", log.execution_details)

    def test_only_managers_export_or_erase(self):
        customer = self._profiled_customer()
        for user in (self.user_plain, self.user_relationship):
            with self.assertRaises(AccessError):
                customer.with_user(user).relationship_export_data()
            with self.assertRaises(AccessError):
                customer.with_user(user).relationship_erase_data()
        manager_data = customer.with_user(self.user_manager).relationship_export_data()
        self.assertTrue(
            manager_data[str(customer.id)]["models"]["relationship.engagement"]
        )

    def test_privacy_requests_are_manager_actions_with_a_confirmed_erase(self):
        customer = self._profiled_customer()
        erase_xmlid = "relationship_mgmt.res_partner_action_relationship_erase"
        ours = {
            self.env.ref(f"relationship_mgmt.res_partner_action_relationship_{name}")
            for name in ("export", "report", "erase")
        }
        for user, expected in (
            (self.user_manager, ours),
            (self.user_relationship, set()),
        ):
            bound = {
                action["id"]
                for action in self.env["ir.actions.actions"]
                .with_user(user)
                .get_bindings("res.partner")["action"]
            }
            self.assertEqual(
                {action for action in ours if action.id in bound}, expected
            )
        # Erase asks first: nothing is deleted until the window's Erase.
        manager_customer = customer.with_user(self.user_manager)
        opened = (
            self.env.ref(erase_xmlid)
            .with_user(self.user_manager)
            .with_context(
                active_model="res.partner",
                active_ids=customer.ids,
                active_id=customer.id,
            )
            .run()
        )
        self.assertEqual(opened["res_model"], "relationship.privacy.erase.wizard")
        self.assertTrue(self._engagement(customer))
        wizard = self.env["relationship.privacy.erase.wizard"].browse(opened["res_id"])
        self.assertEqual(wizard.partner_ids, customer)
        self.assertEqual(wizard.customer_count, 1)
        wizard.with_user(self.user_manager).action_erase()
        self.assertFalse(self._engagement(customer))
        self.assertFalse(
            manager_customer.relationship_export_data()[str(customer.id)]["models"][
                "relationship.engagement"
            ]
        )
        with self.assertRaises(AccessError):
            customer.with_user(
                self.user_relationship
            ).action_relationship_erase_confirm()
