from datetime import datetime, time, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import TODAY, RelationshipCommon

# Noon of TODAY (UTC): the interactions of the tests are logged at 9:00.
NOON = datetime.combine(TODAY, time(12))


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestInteraction(RelationshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Interaction = cls.env["relationship.interaction"]
        cls.customer = cls._customer("Interaction Customer")
        cls.contact = cls.env["res.partner"].create(
            {"name": "Ann Buyer", "parent_id": cls.customer.id}
        )
        cls.other = cls._customer("Other Customer")

    def _log(self, partner=None, days_ago=0, **values):
        return self.Interaction.create(
            {
                "name": "Call",
                "partner_id": (partner or self.customer).id,
                "date": datetime.combine(TODAY - timedelta(days=days_ago), time(9)),
                **values,
            }
        )

    def test_log_interaction_from_customer_form_in_a_dialog(self):
        partner = self.contact.with_user(self.user_relationship)
        action = partner.action_log_relationship_interaction()
        self.assertEqual(action["target"], "new")
        Interaction = self.Interaction.with_user(self.user_relationship)

        form = Form(
            Interaction.with_context(**action["context"]),
            view="relationship_mgmt.relationship_interaction_view_form_quick",
        )
        self.assertEqual(form.partner_id, self.customer)
        self.assertEqual(form.contact_id, self.contact)
        form.name = "Asked for a quote"
        form.channel = "email"
        form.direction = "inbound"
        form.outcome = "positive"
        form.date_follow_up = TODAY + timedelta(days=7)
        interaction = form.save()

        self.assertEqual(interaction.user_id, self.user_relationship)
        self.assertEqual(interaction.company_id, self.env.company)
        self.assertEqual(partner.relationship_interaction_count, 1)
        self.assertEqual(self.customer.relationship_interaction_count, 1)
        # A trace in the customer's chatter, by the user, at the interaction's
        # date, linked so the engagement score counts it once.
        note = interaction.message_id
        self.assertEqual(note.model, "res.partner")
        self.assertEqual(note.res_id, self.customer.id)
        self.assertEqual(note.author_id, self.user_relationship.partner_id)
        self.assertEqual(note.date, interaction.date)
        self.assertIn("Email logged:", note.body)
        self.assertIn("Asked for a quote", note.body)
        self.assertTrue(note.subtype_id.internal)
        # The follow-up: a to-do for the user, due on the chosen day.
        activity = interaction.follow_up_activity_id
        self.assertEqual(activity.res_id, self.customer.id)
        self.assertEqual(activity.user_id, self.user_relationship)
        self.assertEqual(activity.date_deadline, TODAY + timedelta(days=7))
        self.assertEqual(activity.summary, "Follow up: Asked for a quote")

    def test_choosing_a_contact_fills_its_customer(self):
        form = Form(self.Interaction)
        form.contact_id = self.contact
        form.name = "Visit"
        self.assertEqual(form.partner_id, self.customer)
        self.assertEqual(form.save().partner_id, self.customer)

    def test_contact_given_as_customer_is_logged_for_its_company(self):
        interaction = self._log(partner=self.contact)
        self.assertEqual(interaction.partner_id, self.customer)
        self.assertEqual(interaction.contact_id, self.contact)

    def test_invalid_interactions_leave_database_unchanged(self):
        order = self._order(self.customer, 3)
        stranger = self.env["res.partner"].create(
            {"name": "Stranger", "parent_id": self.other.id}
        )
        invalid = [
            ({"contact_id": stranger.id}, "does not belong to the customer"),
            ({"date": datetime.combine(TODAY + timedelta(days=2), time(9))}, "future"),
            # One rule: not in the future, to the second (later today too).
            ({"date": NOON + timedelta(seconds=1)}, "is in the future"),
            ({"res_model": "sale.order", "res_id": order.id + 1000}, "does not exist"),
            ({"res_model": "no.such.model", "res_id": 1}, "does not exist"),
            ({"res_model": "sale.order"}, "both its model and its ID"),
        ]
        before = self.Interaction.search_count([])
        for values, message in invalid:
            with (
                self.subTest(values=values),
                self.assertRaisesRegex(ValidationError, message),
                self.env.cr.savepoint(),
            ):
                self._log(**values)
        self.assertEqual(self.Interaction.search_count([]), before)
        interaction = self._log(res_model="sale.order", res_id=order.id)
        self.assertEqual(interaction.res_reference, order.display_name)
        with self.assertRaisesRegex(ValidationError, "contact of"):
            interaction.partner_id = self.contact

    def test_interactions_feed_engagement_interaction_count(self):
        self._order(self.customer, 10)
        self._order(self.other, 10)
        self._log(days_ago=5)
        self._log(days_ago=30, channel="meeting")
        self._log(days_ago=400)  # outside the 365-day window
        self.customer.message_post(body="Sent the catalogue", message_type="comment")
        self.assertTrue(self._engagement(self.customer).needs_recompute)

        self._recompute(self.customer, self.other)

        engagement = self._engagement(self.customer)
        self.assertEqual(engagement.interaction_count, 3)
        self.assertEqual(self._engagement(self.other).interaction_count, 0)
        self.assertGreater(
            engagement.interaction_score, self._engagement(self.other).interaction_score
        )

    def test_interaction_logged_from_a_message_is_counted_once(self):
        self._order(self.customer, 10)
        note = self.customer.message_post(
            body="Customer called back", message_type="comment"
        )
        # An internal note on the order is not an interaction by itself ...
        order = self._order(self.customer, 2)
        order_note = order.message_post(body="Phoned Ann", message_type="comment")
        self._recompute(self.customer)
        self.assertEqual(self._engagement(self.customer).interaction_count, 1)

        created = self.Interaction.log_from_messages([note.id, order_note.id])
        again = self.Interaction.log_from_messages([note.id, order_note.id])

        self.assertEqual(len(created), 2)
        self.assertEqual(again, [])
        from_order = self.Interaction.browse(created).filtered("res_model")
        self.assertEqual(
            (from_order.res_model, from_order.res_id), ("sale.order", order.id)
        )
        self.assertEqual(from_order.partner_id, self.customer)
        self._recompute(self.customer)
        # ... so only the note on the order adds one: the customer's own note
        # was already counted as a message.
        self.assertEqual(self._engagement(self.customer).interaction_count, 2)

    def test_interactions_of_another_company_are_isolated(self):
        company_2 = self.setup_other_company(name="Interaction Company 2")["company"]
        self._order(self.customer, 10)
        self._log(days_ago=3, company_id=company_2.id)

        self._recompute(self.customer)

        self.assertEqual(self._engagement(self.customer).interaction_count, 0)
        visible = self.Interaction.with_user(self.user_relationship).search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertFalse(visible)
        self.assertEqual(
            self.customer.with_user(
                self.user_relationship
            ).relationship_interaction_count,
            0,
        )

    def test_relationship_user_logs_and_reads_but_cannot_delete(self):
        Interaction = self.Interaction.with_user(self.user_relationship)
        interaction = Interaction.create(
            {"name": "Demo", "partner_id": self.customer.id, "channel": "meeting"}
        )
        interaction.write({"outcome": "neutral"})
        self.assertEqual(Interaction.search([]).ids, interaction.ids)
        with self.assertRaises(AccessError):
            interaction.unlink()
        with self.assertRaises(AccessError):
            interaction.with_user(self.user_plain).read(["name"])
        with self.assertRaises(AccessError):
            self.Interaction.with_user(self.user_plain).create(
                {"name": "No", "partner_id": self.customer.id}
            )
        interaction.with_user(self.user_manager).unlink()
        self.assertFalse(interaction.exists())

    def test_views_and_buttons_open_for_each_group(self):
        view_types = ["list", "form", "search", "pivot", "graph"]
        for model, extra in (
            ("relationship.interaction", ["calendar"]),
            ("relationship.satisfaction", []),
        ):
            views = (
                self.env[model]
                .with_user(self.user_relationship)
                .get_views([(False, view_type) for view_type in view_types + extra])
            )
            self.assertIn("form", views["views"], model)
        partner = self.customer.with_user(self.user_relationship)
        form = partner.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("action_log_relationship_interaction", form)
        self.assertIn("satisfaction_count", form)
        self.assertEqual(
            partner.action_view_relationship_interactions()["domain"],
            [("partner_id", "=", self.customer.id)],
        )
        self.assertEqual(
            partner.action_view_satisfaction()["res_model"], "relationship.satisfaction"
        )
        plain_form = self.customer.with_user(self.user_plain).get_views(
            [(False, "form")]
        )["views"]["form"]["arch"]
        self.assertNotIn("action_log_relationship_interaction", plain_form)

    def test_interaction_hook_queries_do_not_grow_with_customers(self):
        Engagement = self.env["relationship.engagement"]
        date_from = TODAY - timedelta(days=365)
        self._log(days_ago=3)
        self._log(partner=self.other, days_ago=3)
        Engagement._engagement_interaction_counts(
            self.env.company, [self.customer.id], date_from
        )
        # one query for the chatter messages, one for the logged interactions
        with self.assertQueryCount(2):
            counts = Engagement._engagement_interaction_counts(
                self.env.company, [self.customer.id, self.other.id], date_from
            )
        self.assertEqual(counts, {self.customer.id: 1, self.other.id: 1})
