"""The frame of the relationship jobs, written once: enqueue one job per
company with its identity key, run a job's work under the company's lock of
its batch (``relationship_mgmt/tools/batch_runner.py``), say what was queued.

A job is one transaction (queue_job commits it when it is done and refuses
commits inside it): the batch's transaction-level advisory lock lives as long
as the job, a failed job writes nothing, and a retried one starts over.
"""

from odoo import models

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.utils import must_run_without_delay
from odoo.addons.relationship_mgmt.tools import actions, batch_runner

# Seconds a job waits before it tries again while another worker holds the
# company's lock of its batch.
LOCKED_RETRY_SECONDS = 60


def enqueues(env):
    """Whether the batches go to the queue: not where queue_job runs jobs
    without delay (the ``queue_job__no_delay`` context key or the
    ``QUEUE_JOB__NO_DELAY`` environment variable), where the batches run now
    as they do without this addon."""
    return not must_run_without_delay(env)


def identity_key(batch, company):
    """The identity of a company's job of ``batch``: while one is waiting,
    queue_job enqueues no second one."""
    return f"relationship.{batch}:{company.id}"


def enqueue_companies(model, method, batch, companies, channel, description):
    """Enqueue ``model.method(company)`` for each company on ``channel``.
    Returns ``(jobs, queued)``: the job of each company (the waiting one when
    there already is one) and whether it was enqueued now."""
    jobs, queued = [], []
    for company in companies:
        job = getattr(
            model.with_company(company).with_delay(
                channel=channel,
                identity_key=identity_key(batch, company),
                description=description(company),
            ),
            method,
        )(company)
        jobs.append(job)
        # An existing job comes back as its queue.job record, a new one as a
        # queue_job Job.
        queued.append(not isinstance(job, models.BaseModel))
    return jobs, queued


def run_locked(env, batch, company, work, options=None):
    """``work(run)`` under the company's ``batch`` lock, for a job, with the
    run's ``options`` (``batch_runner.BatchOptions``): retried later
    (``RetryableJobError``) while another worker holds the lock."""
    result = batch_runner.run_company(env, batch, company, work, options)
    if result is None:
        raise RetryableJobError(
            env._(
                "%(batch)s of %(company)s runs elsewhere: retried later.",
                batch=batch,
                company=company.name,
            ),
            seconds=LOCKED_RETRY_SECONDS,
        )
    return result


def label(job):
    """What a job is called: its description (a queue.job record keeps it in
    ``name``)."""
    return job.name if isinstance(job, models.BaseModel) else job.description


def rpc_result(jobs, companies, totals=()):
    """The XML-RPC result of a call that enqueued ``jobs`` (one per company)
    instead of computing: the documented counts at 0 (nothing computed yet),
    the companies and the jobs' uuids."""
    return {
        **dict.fromkeys(totals, 0),
        "companies": companies.ids,
        "skipped_companies": [],
        "jobs": [job.uuid for job in jobs],
    }


def notification(env, title, jobs, queued):
    """The client notification of a button that enqueued ``jobs``: names them,
    and says which were already waiting."""
    names = ", ".join(
        env._("%(job)s (%(uuid)s)", job=label(job), uuid=job.uuid) for job in jobs
    )
    if all(queued):
        message = env._("Queued as jobs: %(jobs)s.", jobs=names)
    else:
        message = env._(
            "Queued as jobs: %(jobs)s. Some of them were already waiting: "
            "no second run was queued.",
            jobs=names,
        )
    return actions.notification(
        title, message, "success" if all(queued) else "warning", actions.CLOSE_WINDOW
    )
