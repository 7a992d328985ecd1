"""Helpers of the public methods other systems call (XML-RPC, JSON-RPC,
server actions): checks of the ids they receive, so that wrong input gets a
readable UserError naming what is wrong instead of a traceback from deep in
the ORM or from PostgreSQL, and plain values for their results (no null:
XML-RPC cannot carry it, Odoo's convention is False)."""

import functools

from odoo import api
from odoo.exceptions import AccessError, UserError

# Ids named in full in an error message; the others are counted.
LISTED_IDS = 10
# PostgreSQL ``integer`` ids: a larger number cannot be an id.
MAX_ID = 2**31 - 1


def ids_text(env, ids):
    """``"3, 5, 8"``, or the first ``LISTED_IDS`` ids and how many in all."""
    ids = sorted(ids)
    text = ", ".join(str(record_id) for record_id in ids[:LISTED_IDS])
    if len(ids) > LISTED_IDS:
        text += env._(", … (%(count)s in all)", count=len(ids))
    return text


def check_ids(env, ids, label):
    """Raise a UserError unless ``ids`` is a list (or tuple) of integers.

    :param label: what the ids are, in words (``"Partner ids"``)
    """
    if not isinstance(ids, list | tuple) or not all(
        isinstance(record_id, int) and not isinstance(record_id, bool)
        for record_id in ids
    ):
        shown = repr(ids)
        if len(shown) > 80:
            shown = shown[:80] + "…"
        raise UserError(
            env._(
                "%(label)s must be a list of integers, got %(value)s.",
                label=label,
                value=shown,
            )
        )


def existing_records(env, model_name, ids, label):
    """The records of ``ids`` (archived ones included), after checking that
    ``ids`` is a list of integers that all exist. An id given twice is taken
    once (the README says so).

    :param label: what the ids are, in words (``"partner ids"``)
    """
    check_ids(env, ids, label.capitalize())
    # In the given order, once each; ids out of PostgreSQL's range are missing.
    wanted = dict.fromkeys(record_id for record_id in ids if 0 < record_id <= MAX_ID)
    records = env[model_name].browse(list(wanted)).exists()
    missing = set(ids) - set(records.ids)
    if missing:
        raise UserError(
            env._(
                "Unknown %(label)s: %(ids)s.", label=label, ids=ids_text(env, missing)
            )
        )
    return records


def check_company(records, label, company_of=None):
    """Refuse ``records`` of a company the user does not work in, with the
    message the README documents. The one company check of every public
    method, run before the record rules would refuse them with Odoo's
    generic message. Records without a company are shared: allowed.

    :param company_of: function of a record (sudo) returning its company,
        for models without ``company_id`` (a message: its document's)
    """
    env = records.env
    if env.su or (company_of is None and "company_id" not in records._fields):
        return
    company_of = company_of or (lambda record: record.company_id)
    allowed = set(env.companies.ids)
    # sudo: only the company of each record is read, to name the foreign
    # ones; nothing of them is returned.
    foreign = [
        record.id
        for record in records.sudo()
        if (company := company_of(record)) and company.id not in allowed
    ]
    if foreign:
        raise AccessError(
            env._(
                "%(label)s %(ids)s: they belong to a company you do not work in.",
                label=label.capitalize(),
                ids=ids_text(env, foreign),
            )
        )


def checked_records(env, model_name, ids, label, company_of=None):
    """``existing_records`` of a company the user works in: what every public
    method calls on the ids it receives (``company_of``: see
    ``check_company``)."""
    records = existing_records(env, model_name, ids, label)
    check_company(records, label, company_of)
    return records


def ids_first(label):
    """Decorate a public method of records so that its ids are checked when
    they come from outside (XML-RPC, JSON-RPC).

    Odoo browses whatever a caller sends as the ids of a record method: None
    becomes no record, ``5`` the record 5, and ``True`` a traceback. The
    decorated method is called on the model instead (``api.model``) and gets
    the ids as they were sent: anything but a list of integers is refused by
    ``check_ids``. Called on records from Python, it runs as it is.

    :param label: function of an environment returning what the ids are, in
        words (``lambda env: env._("partner ids")``)
    """

    def decorate(method):
        @functools.wraps(method)
        def checked(self, *args, **kwargs):
            if self._ids or not args:
                return method(self, *args, **kwargs)
            ids, *args = args
            check_ids(self.env, ids, label(self.env).capitalize())
            return method(self.browse(ids), *args, **kwargs)

        return api.model(checked)

    return decorate


def iso(value):
    """A date or datetime (UTC) as an ISO 8601 string, False when empty."""
    return value.isoformat() if value else False


def reason_dicts(lines):
    """Breakdown lines ``(label, value or None, reason)`` as JSON-able dicts
    (False for a component that does not apply: XML-RPC has no null)."""
    return [
        {"component": label, "value": False if value is None else value, "reason": text}
        for label, value, text in lines
    ]
