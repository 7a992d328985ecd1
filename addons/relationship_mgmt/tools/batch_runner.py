"""One frame for the per-company batch work (engagement, analytics, cross-sell
mining, trust): the company's lock, when to commit, the result shape and the
notification, written once.

The lock is a transaction-level advisory lock (``pg_try_advisory_xact_lock``):
PostgreSQL releases it at the end of the transaction that took it, on commit,
rollback or a dropped connection. It is therefore correct behind a pooler in
transaction mode (pgbouncer may hand each transaction another server
connection, so a session lock and its unlock could land on different ones)
and across Odoo nodes; a run that commits between batches takes it again
after each commit, and stops when another worker took it in between (that
worker carries on from what is committed: the work resumes from committed
batches).
"""

import logging
import threading
from dataclasses import dataclass

from odoo.tools import SQL

from . import actions

_logger = logging.getLogger(__name__)

# First key of each batch's advisory lock (the second is the company id).
LOCK_KEYS = {
    "engagement": 72_410_301,
    "analytics": 72_410_302,
    "crosssell": 72_410_303,
    "trust": 72_410_304,
    "obligations": 72_410_305,
    "dispute_sla": 72_410_306,
}


def may_commit():
    """Batches commit in crons, never in tests (where every test runs in one
    transaction that is rolled back)."""
    return not getattr(threading.current_thread(), "testing", False)


def lock_query(batch, company_id):
    """The query taking ``batch``'s lock of the company until the end of the
    current transaction; it returns False when another transaction holds it."""
    return SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", LOCK_KEYS[batch], company_id)


def try_lock(cr, batch, company_id):
    cr.execute(lock_query(batch, company_id))
    return cr.fetchone()[0]


@dataclass(frozen=True)
class BatchOptions:
    """How a run goes: ``commit`` after each batch (crons), and how many
    records a batch holds."""

    commit: bool = False
    batch_size: int = 5000


class LockLost(Exception):
    """Another worker took the company's lock between two batches."""


class CompanyRun:
    """One company's run, handed to the work: its env, company and options,
    and ``checkpoint()`` to call after each batch."""

    def __init__(self, env, batch, company, options):
        self.env = env
        self.batch = batch
        self.company = company
        self.options = options

    def checkpoint(self):
        """End of a batch: commit it when the run commits, then take the lock
        again for the next transaction (``LockLost`` when another worker has
        it)."""
        if not self.options.commit:
            return
        self.env.cr.commit()  # pylint: disable=invalid-commit
        if not try_lock(self.env.cr, self.batch, self.company.id):
            raise LockLost(self.company.id)


def run_company(env, batch, company, work, options=None):
    """``work(run)`` for one company under its ``batch`` lock, with ``run`` a
    ``CompanyRun``. Returns what the work returns, or None when another worker
    holds the lock (or took it between two batches).

    A failure undoes the uncommitted work and releases the lock (rollback, or
    the savepoint when the run does not commit), then raises.
    """
    options = options or BatchOptions()
    cr = env.cr
    # The work reads and writes in SQL: it must see pending ORM writes.
    env.flush_all()
    run = CompanyRun(env, batch, company, options)
    try:
        if options.commit:
            if not try_lock(cr, batch, company.id):
                return _skipped(batch, company)
            result = work(run)
            cr.commit()  # pylint: disable=invalid-commit
            return result
        # Lock and work in a savepoint: a failure rolls both back, leaving
        # the transaction usable and the company free at once.
        with cr.savepoint():
            if not try_lock(cr, batch, company.id):
                return _skipped(batch, company)
            return work(run)
    except LockLost:
        cr.rollback()
        _logger.info("%s of %s: lock taken over by another worker", batch, company.name)
        return None
    except Exception:
        if options.commit:
            cr.rollback()
        raise
    finally:
        env.invalidate_all()


def _skipped(batch, company):
    _logger.info("%s of %s runs elsewhere: skipped", batch, company.name)
    return None


def run_companies(env, batch, companies, work, totals=(), options=None):
    """``run_company()`` for each company. Returns ``{total: sum, ...,
    "companies": [ids run], "skipped_companies": [ids skipped]}``, each
    total summed over what the work returned."""
    result = dict.fromkeys(totals, 0)
    result.update(companies=[], skipped_companies=[])
    for company in companies:
        counts = run_company(env, batch, company, work, options)
        if counts is None:
            result["skipped_companies"].append(company.id)
            continue
        result["companies"].append(company.id)
        for key in totals:
            result[key] += counts[key]
    return result


def notification(env, title, message, result, next_action=None):
    """The client notification of a manual run, saying when companies were
    skipped; then ``next_action`` (default: close the window)."""
    skipped = bool(result["skipped_companies"])
    if skipped:
        message += " " + env._(
            "Some companies were skipped: a run of theirs is already in progress."
        )
    return actions.notification(
        title,
        message,
        "warning" if skipped else "success",
        next_action or actions.CLOSE_WINDOW,
    )
