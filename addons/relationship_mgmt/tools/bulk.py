"""Bulk writes: load computed rows into a temporary table with COPY, so that
one INSERT/UPDATE statement can write a whole batch from it."""

import csv
import io

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
    buffer = io.StringIO()
    # csv writes None as an empty field, read back as NULL below.
    csv.writer(buffer, delimiter="\t", lineterminator="\n").writerows(lines)
    buffer.seek(0)
    # COPY takes no query parameters; the table name is our own identifier.
    copy = SQL(
        "COPY %s FROM STDIN WITH (FORMAT csv, DELIMITER E'\\t', NULL '')",
        SQL.identifier(table),
    )
    cr.copy_expert(copy.code, buffer)
