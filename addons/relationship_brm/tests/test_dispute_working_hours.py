from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.relationship_mgmt.tests.test_program_business_days import (
    week_calendar,
)

from .dispute_common import DisputeCommon

# The calendar works Monday to Friday, 8-12 and 13-17 in Sofia, UTC+3 in
# June 2026; stored datetimes are UTC, so 16:00 local is 13:00 below.
FRIDAY_16 = datetime(2026, 6, 19, 13, 0)
MONDAY_16 = datetime(2026, 6, 22, 13, 0)


@tagged("post_install", "-at_install")
class TestDisputeWorkingHours(DisputeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = week_calendar(cls.env, cls.env.company, "Europe/Sofia")
        # 8 working hours to respond, 16 to resolve, at risk after 75%.
        cls.policy = cls.Sla.create(
            {
                "name": "Quality, working hours",
                "dispute_type": "quality",
                "priority": "2",
                "response_hours": 8.0,
                "resolution_hours": 16.0,
                "hours_basis": "working",
                "calendar_id": cls.calendar.id,
            }
        )

    def _open(self, moment, **values):
        with freeze_time(moment):
            return self._dispute(dispute_type="quality", priority="2", **values)

    def _holiday(self, start, stop, calendar=None):
        return self.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": (calendar or self.calendar).id,
                "date_from": start,
                "date_to": stop,
            }
        )

    def _cron_at(self, moment, dispute):
        with freeze_time(moment):
            self.Dispute._cron_update_sla()
        return dispute.sla_state

    def test_friday_afternoon_response_falls_due_on_monday(self):
        dispute = self._open(FRIDAY_16)
        self.assertEqual(dispute.sla_id, self.policy)
        self.assertEqual(dispute.sla_calendar_id, self.calendar)
        # Friday 16-17 (1 h), Monday 8-12 (4 h) and 13-16 (3 h): Monday 16:00.
        self.assertEqual(dispute.date_response_due, MONDAY_16)
        # Friday 1 h, Monday 8 h, Tuesday 8-12 and 13-16: Tuesday 16:00.
        self.assertEqual(dispute.date_resolution_due, datetime(2026, 6, 23, 13, 0))
        # 75% of 8 h = 6 h: Friday 1 h, Monday 8-12 and 13-14.
        self.assertEqual(dispute.date_response_at_risk, datetime(2026, 6, 22, 11, 0))
        self.assertEqual(dispute.date_deadline, datetime(2026, 6, 23).date())

    def test_a_holiday_monday_moves_the_due_date_to_tuesday(self):
        # Monday 2026-06-22, all day in Sofia.
        self._holiday(datetime(2026, 6, 21, 21, 0), datetime(2026, 6, 22, 20, 59, 59))
        dispute = self._open(FRIDAY_16)
        self.assertEqual(dispute.date_response_due, datetime(2026, 6, 23, 13, 0))
        self.assertEqual(dispute.date_resolution_due, datetime(2026, 6, 24, 13, 0))

    def test_nights_are_skipped(self):
        # Tuesday 15:00 local: 15-17 (2 h), Wednesday 8-12 (4 h) and 13-15.
        dispute = self._open(datetime(2026, 6, 16, 12, 0))
        self.assertEqual(dispute.date_response_due, datetime(2026, 6, 17, 12, 0))

    def test_company_calendar_is_the_default(self):
        self.env.company.dispute_sla_calendar_id = self.calendar
        self.policy.calendar_id = False
        dispute = self._open(FRIDAY_16)
        self.assertEqual(dispute.sla_calendar_id, self.calendar)
        self.assertEqual(dispute.date_response_due, MONDAY_16)

    def test_round_the_clock_policies_keep_counting_every_hour(self):
        self.policy.hours_basis = "calendar"
        dispute = self._open(FRIDAY_16)
        self.assertFalse(dispute.sla_calendar_id)
        self.assertEqual(dispute.date_response_due, datetime(2026, 6, 19, 21, 0))

    def test_cron_breaches_only_after_the_working_time_elapsed(self):
        dispute = self._open(FRIDAY_16)
        # Round the clock the 8 hours would be over on Friday night.
        self.assertEqual(self._cron_at(datetime(2026, 6, 20, 12, 0), dispute), "ok")
        self.assertEqual(self._cron_at(datetime(2026, 6, 22, 10, 59), dispute), "ok")
        self.assertEqual(
            self._cron_at(datetime(2026, 6, 22, 11, 0), dispute), "at_risk"
        )
        self.assertEqual(self._cron_at(MONDAY_16, dispute), "at_risk")
        self.assertFalse(dispute.escalated)
        self.assertEqual(
            self._cron_at(datetime(2026, 6, 22, 13, 1), dispute), "breached"
        )
        self.assertTrue(dispute.escalated)

    def test_a_pause_counts_only_its_working_hours(self):
        waiting = self.stages["negotiation"]
        waiting.sla_paused = True
        # Monday 09:00 local: due Tuesday 09:00 (Monday 9-12, 13-17, Tuesday 8-9).
        dispute = self._open(datetime(2026, 6, 15, 6, 0))
        self.assertEqual(dispute.date_response_due, datetime(2026, 6, 16, 6, 0))
        # Paused Monday 15:00 local, back on Tuesday 10:00 local: 4 working
        # hours paused (Monday 15-17, Tuesday 8-10), the night not.
        with freeze_time(datetime(2026, 6, 15, 12, 0)):
            dispute.stage_id = waiting
        # Past the first due date, but paused before the at-risk moment.
        self.assertEqual(self._cron_at(datetime(2026, 6, 16, 6, 30), dispute), "ok")
        with freeze_time(datetime(2026, 6, 16, 7, 0)):
            dispute.stage_id = self.stages["investigation"]
        self.assertAlmostEqual(dispute.sla_paused_hours, 4.0)
        # 5 h worked before the pause, 3 h left from Tuesday 10:00 local:
        # 10-12 and 13-14, Tuesday 14:00 local.
        self.assertEqual(dispute.date_response_due, datetime(2026, 6, 16, 11, 0))
        # Wednesday 09:00 local moved by 4 h: Wednesday 14:00 local.
        self.assertEqual(dispute.date_resolution_due, datetime(2026, 6, 17, 11, 0))
        # The policy's timing re-planned from the opening gives the same.
        self.policy.at_risk_percent = 50.0
        self.assertEqual(dispute.date_response_due, datetime(2026, 6, 16, 11, 0))
        # 4 h + 4 h paused from Monday 09:00 local: Tuesday 09:00 local.
        self.assertEqual(dispute.date_response_at_risk, datetime(2026, 6, 16, 6, 0))

    def test_policy_timing_change_replans_open_disputes(self):
        dispute = self._open(FRIDAY_16)
        closed = self._open(FRIDAY_16)
        with freeze_time(datetime(2026, 6, 19, 13, 30)):
            closed.resolve("rejection", reason="Goods were as ordered")
        closed_due = closed.date_response_due
        self.policy.response_hours = 4.0
        # Friday 16-17, Monday 8-11 (local).
        self.assertEqual(dispute.date_response_due, datetime(2026, 6, 22, 8, 0))
        self.assertEqual(closed.date_response_due, closed_due)

    def test_planning_reads_the_calendar_once_for_many_disputes(self):
        def plan(count):
            disputes = self.Dispute.browse()
            for __ in range(count):
                disputes |= self._open(FRIDAY_16)
            self.env.flush_all()
            self.env.invalidate_all()
            disputes.mapped("sla_id.calendar_id.attendance_ids")
            before = self.cr.sql_log_count
            disputes._set_sla_dates()
            self.env.flush_all()
            return self.cr.sql_log_count - before

        plan(1)
        self.assertEqual(plan(2), plan(9))

    def _empty_calendar(self):
        empty = self.env["resource.calendar"].create(
            {
                "name": "Nobody works",
                "tz": "UTC",
                "company_id": self.env.company.id,
                "attendance_ids": [Command.clear()],
            }
        )
        self.assertFalse(empty.attendance_ids)
        return empty

    def test_a_policy_calendar_without_working_time_is_refused(self):
        empty = self._empty_calendar()
        with self.assertRaisesRegex(ValidationError, "Nobody works.*no working time"):
            self.policy.calendar_id = empty

    def test_a_company_calendar_without_working_time_is_refused(self):
        empty = self._empty_calendar()
        with self.assertRaisesRegex(ValidationError, "Nobody works.*no working time"):
            self.env.company.dispute_sla_calendar_id = empty

    def test_a_calendar_in_use_keeps_its_working_time(self):
        with self.assertRaisesRegex(ValidationError, "used by dispute SLAs"):
            self.calendar.attendance_ids = [Command.clear()]

    def test_working_hours_need_a_calendar(self):
        self.env.company.dispute_sla_calendar_id = False
        with self.assertRaisesRegex(ValidationError, "choose a working schedule"):
            self.policy.calendar_id = False
