from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from ..tools.working_time import add_work_days, plan_work_hours
from .test_program import ProgramCommon

# Friday 2026-06-19 10:00 UTC, 13:00 in Sofia (UTC+3 in summer).
FRIDAY = datetime(2026, 6, 19, 10, 0)


def week_calendar(env, company, tz):
    """Monday to Friday, 8-12 and 13-17 in ``tz``."""
    return env["resource.calendar"].create(
        {
            "name": f"Office hours {tz}",
            "tz": tz,
            "company_id": company.id,
            "attendance_ids": [
                Command.create(
                    {
                        "name": f"{day} {period}",
                        "dayofweek": str(day),
                        "hour_from": hour_from,
                        "hour_to": hour_to,
                        "day_period": period,
                    }
                )
                for day in range(5)
                for period, hour_from, hour_to in (
                    ("morning", 8.0, 12.0),
                    ("afternoon", 13.0, 17.0),
                )
            ],
        }
    )


@tagged("post_install", "-at_install")
class TestProgramBusinessDays(ProgramCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = week_calendar(cls.env, cls.env.company, "Europe/Sofia")
        cls.env.company.resource_calendar_id = cls.calendar

    def _holiday(self, start, stop, company=None):
        """A public holiday: time off of the calendar without a resource."""
        return self.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": self.calendar.id,
                "company_id": (company or self.env.company).id,
                "date_from": start,
                "date_to": stop,
            }
        )

    def _program_with_delays(self, *delays):
        return self._program(
            "manual",
            steps=[
                {
                    "name": f"Call after {days} {'business ' if business else ''}days",
                    "delay_days": days,
                    "business_days": business,
                    "action": "activity",
                    "activity_type_id": self.call.id,
                }
                for days, business in delays
            ],
        )

    def _dates_due(self, program):
        enrolment = program._enrol_partners(self._customer("Planned"))
        return {line.step_id.name: line.date_due for line in enrolment.line_ids}

    @freeze_time(FRIDAY)
    def test_business_days_skip_the_weekend_and_a_holiday(self):
        # Monday 2026-06-22 is a holiday in Sofia: 00:00-24:00 local time.
        self._holiday(datetime(2026, 6, 21, 21, 0), datetime(2026, 6, 22, 20, 59, 59))
        program = self._program_with_delays((3, True), (0, True), (3, False))
        self.assertEqual(
            self._dates_due(program),
            {
                # Tuesday, Wednesday, Thursday; same time of day (13:00 local).
                "Call after 3 business days": datetime(2026, 6, 25, 10, 0),
                "Call after 0 business days": FRIDAY,
                "Call after 3 days": datetime(2026, 6, 22, 10, 0),
            },
        )

    @freeze_time(FRIDAY)
    def test_without_holiday_only_the_weekend_is_skipped(self):
        program = self._program_with_delays((3, True))
        self.assertEqual(
            self._dates_due(program),
            {"Call after 3 business days": datetime(2026, 6, 24, 10, 0)},
        )

    @freeze_time(FRIDAY)
    def test_another_companys_holiday_is_not_skipped(self):
        other = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        # A holiday of no calendar belongs to the company it is made in.
        self.env["resource.calendar.leaves"].with_company(other).create(
            {
                "name": "Their holiday",
                "date_from": datetime(2026, 6, 21, 21, 0),
                "date_to": datetime(2026, 6, 22, 20, 59, 59),
            }
        )
        program = self._program_with_delays((3, True))
        self.assertEqual(
            self._dates_due(program),
            {"Call after 3 business days": datetime(2026, 6, 24, 10, 0)},
        )

    def test_days_are_counted_in_the_calendar_time_zone(self):
        # Friday 22:30 UTC is already Saturday 01:30 in Sofia: the next
        # business day is Monday 01:30 there, Sunday 22:30 UTC.
        late_friday = datetime(2026, 6, 19, 22, 30)
        self.assertEqual(
            add_work_days(self.calendar, [(late_friday, 1), (FRIDAY, 1)]),
            [datetime(2026, 6, 21, 22, 30), datetime(2026, 6, 22, 10, 0)],
        )
        # In UTC the same Friday evening is still Friday: Monday 22:30.
        utc_calendar = week_calendar(self.env, self.env.company, "UTC")
        self.assertEqual(
            add_work_days(utc_calendar, [(late_friday, 1)]),
            [datetime(2026, 6, 22, 22, 30)],
        )

    def test_planning_matches_odoo_plan_hours(self):
        """The one-read planner gives the moments Odoo's plan_hours gives,
        holidays included, for starts in and out of working time."""
        self._holiday(datetime(2026, 6, 21, 21, 0), datetime(2026, 6, 22, 20, 59, 59))
        requests = [
            (FRIDAY, 8.0),
            (datetime(2026, 6, 19, 13, 0), 1.0),  # ends Friday 17:00 local
            (datetime(2026, 6, 20, 9, 0), 0.0),  # Saturday: next working moment
            (datetime(2026, 6, 16, 9, 30), 2.5),  # over lunch
            (datetime(2026, 6, 15, 5, 0), 400.0),  # weeks ahead
        ]
        expected = [
            self.calendar.plan_hours(hours, start, compute_leaves=True)
            for start, hours in requests
        ]
        self.assertEqual(plan_work_hours(self.calendar, requests), expected)
        self.assertEqual(expected[1], datetime(2026, 6, 19, 14, 0))
        self.assertEqual(expected[2], datetime(2026, 6, 23, 5, 0))
