"""Working time on a ``resource.calendar``, for many start moments at once.

Odoo's ``plan_hours`` reads the calendar's attendances and leaves again for
each moment it plans; here the work intervals of one calendar are read once
for the whole span of a batch and every moment is planned on them (bisection
over cumulated working time). Datetimes in and out are naive UTC, as stored;
the calendar's own time zone decides where its days and hours fall. Public
holidays are the calendar's leaves without a resource (of its company or of
none).
"""

from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta

from pytz import timezone, utc

# The span read first beyond the last start, doubled until every moment is
# planned, up to the limit (a calendar whose attendances end gives up there).
FIRST_SPAN = timedelta(days=21)
MAX_SPAN = timedelta(days=4 * 366)


def _working_attendances(calendar):
    return calendar.attendance_ids.filtered(
        lambda a: (
            not a.display_type and a.day_period != "lunch" and a.hour_to > a.hour_from
        )
    )


def has_working_time(calendar):
    """Whether ``calendar`` has working hours at all (an attendance that is
    neither a section nor a lunch break)."""
    return bool(_working_attendances(calendar))


def _span_for(calendar, hours):
    """A first span to read, likely to hold ``hours`` working hours."""
    weekly = sum(a.hour_to - a.hour_from for a in _working_attendances(calendar))
    if calendar.two_weeks_calendar:
        weekly /= 2
    if weekly <= 0:
        return FIRST_SPAN
    return max(FIRST_SPAN, timedelta(days=7 * 1.25 * hours / weekly + 14))


def _leave_domain(calendar):
    company_ids = [False] + calendar.company_id.ids
    return [("time_type", "=", "leave"), ("company_id", "in", company_ids)]


def _work_intervals(calendar, start, end):
    """The work intervals of ``calendar`` between the naive UTC ``start`` and
    ``end``, as sorted naive UTC ``(start, stop)`` pairs, holidays removed."""
    intervals = calendar._work_intervals_batch(
        utc.localize(start), utc.localize(end), domain=_leave_domain(calendar)
    )[False]
    return [
        (
            begin.astimezone(utc).replace(tzinfo=None),
            stop.astimezone(utc).replace(tzinfo=None),
        )
        for begin, stop, _meta in intervals
        if stop > begin
    ]


class _Timeline:
    """The work intervals of a calendar from ``start`` on, with the working
    seconds cumulated at the end of each, read again over a longer span when
    a moment falls beyond them."""

    def __init__(self, calendar, start):
        self.calendar = calendar
        self.start = start
        self.end = start
        self.intervals = []
        self.ends = []
        self.cumulated = []
        self._days = None

    def working_days(self, tz):
        """The sorted local dates (in ``tz``) with working time read."""
        if self._days is None:
            self._days = sorted(
                {
                    utc.localize(begin).astimezone(tz).date()
                    for begin, _stop in self.intervals
                }
            )
        return self._days

    def extend_to(self, end):
        if end <= self.end:
            return
        self.intervals = _work_intervals(self.calendar, self.start, end)
        self.end = end
        self.ends = [stop for _begin, stop in self.intervals]
        self.cumulated = []
        self._days = None
        total = 0.0
        for begin, stop in self.intervals:
            total += (stop - begin).total_seconds()
            self.cumulated.append(total)

    def worked_before(self, moment):
        """Working seconds from the timeline start to ``moment``, and the
        index of the first interval ending after it."""
        index = bisect_right(self.ends, moment)
        if index == len(self.intervals):
            return (self.cumulated[-1] if self.cumulated else 0.0), index
        begin, stop = self.intervals[index]
        return self.cumulated[index] - (
            stop - max(begin, moment)
        ).total_seconds(), index

    def plan(self, moment, hours):
        """The moment ``hours`` working hours after ``moment``, or None when
        it falls beyond the intervals read."""
        worked, index = self.worked_before(moment)
        target = worked + hours * 3600.0
        found = bisect_left(self.cumulated, target, lo=index)
        if found == len(self.intervals):
            return None
        stop = self.intervals[found][1]
        return stop - timedelta(seconds=round(self.cumulated[found] - target))

    def hours_between(self, begin, end):
        return max(
            (self.worked_before(end)[0] - self.worked_before(begin)[0]) / 3600.0, 0.0
        )


def _grow(timeline, pending, solve, span=FIRST_SPAN):
    """Call ``solve(key)`` (None: not yet) for the ``pending`` keys, reading
    the timeline over a doubling span beyond the latest start until all are
    solved or the limit is reached; ``{key: result or False}``."""
    results = {}
    latest = max(pending.values())
    span = min(span, MAX_SPAN)
    while pending:
        timeline.extend_to(latest + span)
        for key in list(pending):
            value = solve(key)
            if value is not None:
                results[key] = value
                del pending[key]
        if span >= MAX_SPAN:
            break
        span *= 2
    results.update(dict.fromkeys(pending, False))
    return results


def plan_work_hours(calendar, requests):
    """``[(start, hours), ...]`` planned on ``calendar``: the moment each
    ``hours`` working hours after its ``start`` (False if the calendar has no
    working time that far). A start outside working time counts from the next
    working moment; a plan ending at the end of a working period ends there,
    not at the start of the next one."""
    if not requests:
        return []
    calendar.ensure_one()
    timeline = _Timeline(calendar, min(start for start, _hours in requests))
    pending = dict(enumerate(start for start, _hours in requests))
    results = _grow(
        timeline,
        pending,
        lambda i: timeline.plan(requests[i][0], requests[i][1]),
        span=_span_for(calendar, max(hours for _start, hours in requests)),
    )
    return [results[i] for i in range(len(requests))]


def work_hours_between(calendar, periods):
    """Working hours of ``calendar`` in each ``(begin, end)`` of ``periods``."""
    if not periods:
        return []
    calendar.ensure_one()
    begin = min(start for start, _end in periods)
    end = max(stop for _start, stop in periods)
    timeline = _Timeline(calendar, begin)
    timeline.extend_to(end)
    return [timeline.hours_between(start, stop) for start, stop in periods]


def add_work_days(calendar, requests):
    """``[(start, days), ...]`` on ``calendar``: ``start`` moved to the
    ``days``-th working day after its own (a day of the calendar's time zone
    with working time left by the holidays), at the same local time of day."""
    if not requests:
        return []
    calendar.ensure_one()
    tz = timezone(calendar.tz or "UTC")
    timeline = _Timeline(calendar, min(start for start, _days in requests))

    def solve(i):
        start, days = requests[i]
        if days <= 0:
            return start
        local = utc.localize(start).astimezone(tz)
        known = timeline.working_days(tz)
        index = bisect_right(known, local.date()) + days - 1
        # The last day read may be incomplete: only days before it count.
        if index >= len(known) - 1:
            return None
        moment = tz.localize(datetime.combine(known[index], local.time()))
        return moment.astimezone(utc).replace(tzinfo=None)

    pending = dict(enumerate(start for start, _days in requests))
    results = _grow(timeline, pending, solve)
    return [results[i] for i in range(len(requests))]
