from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.relationship_mgmt.tools import batch_runner

from .dispute_common import T0, DisputeCommon


@tagged("post_install", "-at_install")
class TestDisputeWorkflow(DisputeCommon):
    def _activities(self, dispute):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "relationship.dispute"),
                ("res_id", "=", dispute.id),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref(
                        "relationship_brm.mail_activity_type_dispute_escalation"
                    ).id,
                ),
            ]
        )

    def _breach_notes(self, dispute):
        return dispute.message_ids.filtered(lambda m: "SLA breached" in (m.body or ""))

    @freeze_time(T0)
    def test_new_company_policies_give_the_dispute_its_sla(self):
        policies = self.Sla.search([("company_id", "=", self.env.company.id)])
        self.assertEqual(
            sorted(policies.mapped(lambda p: (p.priority, p.response_hours))),
            [("0", 48.0), ("1", 24.0), ("2", 8.0), ("3", 4.0)],
        )
        dispute = self._dispute(priority="3")
        self.assertEqual(dispute.stage_id, self.stages["new"])
        self.assertEqual(dispute.sla_id.priority, "3")
        self.assertEqual(dispute.date_response_due, T0 + timedelta(hours=4))
        self.assertEqual(dispute.date_resolution_due, T0 + timedelta(hours=48))
        self.assertEqual(dispute.date_deadline, (T0 + timedelta(hours=48)).date())
        self.assertEqual(dispute.sla_state, "ok")
        self.assertEqual(dispute.age_bucket, "week")
        self.assertTrue(dispute.reference.startswith("DSP/2026/"))

    @freeze_time(T0)
    def test_type_and_priority_change_reselect_the_policy(self):
        specific = self.Sla.create(
            {
                "name": "Urgent quality",
                "dispute_type": "quality",
                "priority": "3",
                "response_hours": 2.0,
                "resolution_hours": 24.0,
            }
        )
        dispute = self._dispute(dispute_type="quality", priority="1")
        self.assertEqual(dispute.sla_id.priority, "1")
        dispute.priority = "3"
        self.assertEqual(dispute.sla_id, specific)
        self.assertEqual(dispute.date_response_due, T0 + timedelta(hours=2))
        # The deadline was the former default: it follows the new policy.
        self.assertEqual(dispute.date_deadline, (T0 + timedelta(hours=24)).date())
        # A deadline set by hand stays.
        dispute.date_deadline = T0.date() + timedelta(days=30)
        dispute.dispute_type = "billing"
        self.assertEqual(dispute.sla_id.priority, "3")
        self.assertFalse(dispute.sla_id.dispute_type)
        self.assertEqual(dispute.date_deadline, T0.date() + timedelta(days=30))

    def test_sla_at_risk_then_breached_escalates_once(self):
        with freeze_time(T0):
            dispute = self._dispute(priority="1")  # 24 h / 240 h, at risk at 75%
            untouched = self._dispute(priority="0")  # 48 h to respond
        with freeze_time(T0 + timedelta(hours=17)):
            self.Dispute._cron_update_sla()
            self.assertEqual(dispute.sla_state, "ok")
        with freeze_time(T0 + timedelta(hours=19)):
            result = self.Dispute._cron_update_sla()
            self.assertEqual(dispute.sla_state, "at_risk")
            self.assertEqual(result["escalated"], 0)
            self.assertEqual(untouched.sla_state, "ok")
        messages_before = len(dispute.message_ids)
        with freeze_time(T0 + timedelta(hours=25)):
            first = self.Dispute._cron_update_sla()
            second = self.Dispute._cron_update_sla()
        self.assertEqual(first["escalated"], 1)
        self.assertEqual(second, {"changed": 0, "escalated": 0})
        self.assertEqual(dispute.sla_state, "breached")
        self.assertTrue(dispute.escalated)
        self.assertEqual(dispute.stage_id, self.stages["escalated"])
        # Moved by the escalation, not answered: still no first response.
        self.assertFalse(dispute.date_first_response)
        activity = self._activities(dispute)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.team_leader)
        self.assertEqual(len(self._breach_notes(dispute)), 1)
        self.assertGreater(len(dispute.message_ids), messages_before)
        events = self.env["relationship.event"].search(
            [
                ("event_type", "=", "dispute_sla_breached"),
                ("res_id", "=", dispute.id),
            ]
        )
        self.assertEqual(len(events), 1)
        self.assertEqual(untouched.sla_state, "ok")
        self.assertFalse(untouched.escalated)
        # Later runs, even once the resolution is late too, escalate nothing more.
        with freeze_time(T0 + timedelta(hours=300)):
            self.assertEqual(self.Dispute._cron_update_sla()["escalated"], 1)
        self.assertEqual(len(self._activities(dispute)), 1)
        self.assertEqual(len(self._breach_notes(dispute)), 1)
        self.assertTrue(untouched.escalated)

    def test_escalation_falls_back_to_a_relationships_manager(self):
        with freeze_time(T0):
            dispute = self._dispute(priority="3", team_id=False)
        with freeze_time(T0 + timedelta(hours=5)):
            self.Dispute._cron_update_sla()
        activity = self._activities(dispute)
        self.assertEqual(len(activity), 1)
        self.assertNotEqual(activity.user_id, dispute.user_id)
        self.assertTrue(
            activity.user_id.has_group("relationship_mgmt.group_relationship_manager")
        )

    def test_a_pausing_stage_stops_the_sla_clock(self):
        waiting = self.stages["negotiation"]
        waiting.sla_paused = True
        with freeze_time(T0):
            dispute = self._dispute(priority="1")
        response_due = dispute.date_response_due
        resolution_due = dispute.date_resolution_due
        with freeze_time(T0 + timedelta(hours=2)):
            dispute.stage_id = waiting
        self.assertEqual(dispute.date_sla_paused, T0 + timedelta(hours=2))
        # Long past the resolution due date, but paused: still on track.
        with freeze_time(T0 + timedelta(hours=500)):
            self.Dispute._cron_update_sla()
            self.assertEqual(dispute.sla_state, "ok")
            self.assertFalse(dispute.escalated)
            dispute.stage_id = self.stages["investigation"]
        self.assertFalse(dispute.date_sla_paused)
        self.assertAlmostEqual(dispute.sla_paused_hours, 498.0)
        self.assertEqual(dispute.date_response_due, response_due + timedelta(hours=498))
        self.assertEqual(
            dispute.date_resolution_due, resolution_due + timedelta(hours=498)
        )
        # The clock runs again: breached once the moved due date passes.
        with freeze_time(dispute.date_resolution_due + timedelta(hours=1)):
            self.Dispute._cron_update_sla()
            self.assertEqual(dispute.sla_state, "breached")

    def test_closed_within_the_sla_is_met_late_stays_breached(self):
        with freeze_time(T0):
            on_time = self._dispute(priority="1")
            late = self._dispute(priority="1")
        with freeze_time(T0 + timedelta(hours=2)):
            (on_time | late).stage_id = self.stages["investigation"]
        self.assertEqual(on_time.date_first_response, T0 + timedelta(hours=2))
        self.assertAlmostEqual(on_time.response_time_hours, 2.0)
        with freeze_time(T0 + timedelta(hours=100)):
            on_time.resolve("rejection", reason="Goods were as ordered")
            self.Dispute._cron_update_sla()
        self.assertEqual(on_time.sla_state, "met")
        self.assertEqual(on_time.sla_success, 100.0)
        self.assertAlmostEqual(on_time.resolution_time_hours, 100.0)
        self.assertTrue(on_time.is_closed)
        with freeze_time(T0 + timedelta(hours=241)):
            self.Dispute._cron_update_sla()
            self.assertEqual(late.sla_state, "breached")
        with freeze_time(T0 + timedelta(hours=250)):
            late.resolve("rejection", reason="Goods were as ordered")
        self.assertEqual(late.sla_state, "breached")
        self.assertEqual(late.sla_success, 0.0)
        self.assertEqual(on_time.sla_state, "met")

    def test_first_response_is_a_message_to_followers_not_a_note(self):
        with freeze_time(T0):
            dispute = self._dispute()
        with freeze_time(T0 + timedelta(hours=1)):
            dispute.with_user(self.user_relationship).message_post(
                body="Checking with the warehouse",
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        self.assertFalse(dispute.date_first_response)
        # The partner writing is no response either.
        with freeze_time(T0 + timedelta(hours=2)):
            dispute.message_post(
                body="Any news?",
                author_id=self.customer.id,
                email_from="buyer@reliable-retail.example.com",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertFalse(dispute.date_first_response)
        with freeze_time(T0 + timedelta(hours=3)):
            dispute.with_user(self.user_relationship).message_post(
                body="We are on it",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(dispute.date_first_response, T0 + timedelta(hours=3))
        self.assertAlmostEqual(dispute.response_time_hours, 3.0)
        with freeze_time(T0 + timedelta(hours=5)):
            dispute.stage_id = self.stages["negotiation"]
        self.assertEqual(dispute.date_first_response, T0 + timedelta(hours=3))
        # Responded: the SLA now runs towards the resolution (240 h).
        with freeze_time(T0 + timedelta(hours=30)):
            self.Dispute._cron_update_sla()
        self.assertEqual(dispute.sla_state, "ok")

    def test_second_worker_skips_while_the_cron_runs(self):
        with freeze_time(T0):
            dispute = self._dispute(priority="3")
        with self.env.registry.cursor() as other:
            lock = batch_runner.lock_query("dispute_sla", dispute.company_id.id)
            other.execute(lock.code, lock.params)
            with freeze_time(T0 + timedelta(hours=5)):
                result = self.Dispute._cron_update_sla()
            other.rollback()
        self.assertEqual(result, {"changed": 0, "escalated": 0})
        self.assertEqual(dispute.sla_state, "ok")
        with freeze_time(T0 + timedelta(hours=5)):
            self.assertEqual(self.Dispute._cron_update_sla()["escalated"], 1)

    def test_cron_updates_the_age_bucket(self):
        with freeze_time(T0):
            dispute = self._dispute(priority="0")
        with freeze_time(T0 + timedelta(days=40)):
            self.Dispute._cron_update_sla()
        self.assertEqual(dispute.age_bucket, "quarter")
        self.assertEqual(dispute.sla_state, "breached")

    def test_cron_queries_do_not_grow_with_the_disputes(self):
        def run(count, hours):
            with freeze_time(T0 + timedelta(hours=hours)):
                for __ in range(count):
                    self._dispute(priority="3")
            with freeze_time(T0 + timedelta(hours=hours + 5)):
                self.env.flush_all()
                self.env.invalidate_all()
                before = self.cr.sql_log_count
                result = self.Dispute._cron_update_sla()
                self.env.flush_all()
                queries = self.cr.sql_log_count - before
            self.assertEqual(result["escalated"], count)
            return queries

        run(1, 0)  # warm the caches (groups, views, subtypes)
        few = run(2, 100)
        many = run(8, 200)
        self.assertEqual(few, many)
