"""Helpers of the public methods other systems call (XML-RPC, JSON-RPC,
server actions): checks of the ids they receive, so that wrong input gets a
readable UserError naming what is wrong instead of a traceback from deep in
the ORM or from PostgreSQL, and plain values for their results (no null:
XML-RPC cannot carry it, Odoo's convention is False)."""

from odoo.exceptions import UserError

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
    ``ids`` is a list of integers that all exist.

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
