"""Bulk work: load computed rows into a temporary table with COPY, so that
one INSERT/UPDATE statement can write a whole batch from it, and build many
small rows in Python without paying for the cyclic garbage collector."""

import csv
import gc
import io
from contextlib import contextmanager

from odoo.tools import SQL


def copy_into_temp(cr, table, columns, lines):
    """Create (or empty) the temporary ``table`` with ``columns``
    (``[(name, sql type), ...]``), dropped at commit, and COPY ``lines`` (tuples
    in the same order; None for NULL) into it. The values must be numbers,
    dates or keys computed by the caller, never user text with tabs or quotes
    (csv quotes them anyway)."""
    cr.execute(
        SQL(
            "CREATE TEMPORARY TABLE IF NOT EXISTS %s (%s) ON COMMIT DROP",
            SQL.identifier(table),
            SQL(", ").join(
                SQL("%s %s", SQL.identifier(name), SQL(sql_type))
                for name, sql_type in columns
            ),
        )
    )
    cr.execute(SQL("TRUNCATE %s", SQL.identifier(table)))
    copy_into(cr, table, [name for name, __ in columns], lines)


def copy_into(cr, table, columns, lines):
    """COPY ``lines`` (tuples in the order of the column names ``columns``;
    None for NULL) into ``table``, as ``copy_into_temp()`` does (the same
    rules on the values)."""
    buffer = io.StringIO()
    # csv writes None as an empty field, read back as NULL below.
    csv.writer(buffer, delimiter="\t", lineterminator="\n").writerows(lines)
    buffer.seek(0)
    # COPY takes no query parameters; the names are our own identifiers.
    copy = SQL(
        "COPY %s (%s) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\t', NULL '')",
        SQL.identifier(table),
        SQL(", ").join(SQL.identifier(name) for name in columns),
    )
    cr.copy_expert(copy.code, buffer)


def json_numbers(values):
    """The JSON array of ``values`` (finite numbers), as ``json.dumps`` writes
    it, for a jsonb column of the rows a batch loads: built directly, in half
    the time of the encoder (a few microseconds a row, for 100,000 rows)."""
    return f"[{', '.join(map(repr, values))}]"


@contextmanager
def cyclic_gc_paused():
    """Pause Python's cyclic garbage collector while a batch builds its rows.

    A batch over a company's customers allocates a few hundred thousand small
    dicts and tuples without reference cycles (plain reference counting frees
    them); each full collection the allocations trigger meanwhile scans every
    object of the process, the registry included: 0.1-0.3 s of a 1.8 s
    analytics refresh at size M. The collector runs again at the end (its
    state is process-wide: when it was already paused, by another thread or
    by the caller, it is left as it is)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def disable_jit(cr):
    """Turn PostgreSQL's JIT compilation off until the end of the current
    transaction (``set_config`` local to it: a rollback, to a savepoint too,
    undoes it; a batch that commits calls it again in each transaction).

    The batch statements read a few hundred thousand rows with many
    expressions: their cost estimates pass ``jit_above_cost`` from size M on,
    and compiling them took 100-200 ms a statement for executions of 0.2-0.5
    s, more than it saved (the engagement scoring statement at M: 122 ms of
    JIT in a 541 ms statement)."""
    cr.execute(SQL("SELECT set_config('jit', 'off', true)"))
