"""Helpers of the repository-level tests (tests/test_*.py).

These tests look at the project from the outside: its files, its linters, and
Odoo run as its own process (install, upgrade, uninstall, an XML-RPC server),
the way an administrator or an integration would. The addons' own tests
(addons/*/tests) run inside the Odoo registry instead.

PostgreSQL is reached as createdb/psql reach it (PGHOST, PGUSER... or the
local socket), Odoo with its usual configuration (ODOO_RC or command line).
"""

import os
import re
import socket
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
ADDONS = Path(os.environ.get("RELATIONSHIP_ADDONS") or ROOT / "addons")
ADDONS_PATH = f"--addons-path={ADDONS}"
MODULES = ("relationship_mgmt", "relationship_brm")
# Log lines that fail a run, as in tools/run_tests.sh: any error, and any
# warning about our addons.
LOG_PROBLEM = re.compile(r" (ERROR|CRITICAL) |WARNING .*relationship_(mgmt|brm)")


def odoo_command(*args):
    """``python3 -m odoo *args`` with the Python running the tests. ``args``
    come first, so they may start with a sub-command (``shell``, ``db``);
    pass ``ADDONS_PATH`` where the command needs our addons."""
    return [sys.executable, "-m", "odoo", *args]


def run_odoo(*args, stdin=None, timeout=900):
    """Run ``odoo_command(*args)`` until it exits; return the
    ``CompletedProcess``, whose ``stdout`` holds the whole log (stdout and
    stderr together)."""
    return subprocess.run(
        odoo_command(*args),
        input=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def log_problems(log):
    """The lines of an Odoo log that make the run a failure."""
    return [line for line in log.splitlines() if LOG_PROBLEM.search(line)]


def free_port():
    """A TCP port nobody listens on at 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_database_name(purpose):
    """A database name no other run uses: relationship_pytest_<purpose>_<hex>."""
    return f"relationship_pytest_{purpose}_{uuid.uuid4().hex[:8]}"


def create_database(name):
    """Create an empty database (failing if it exists: never reuse one)."""
    subprocess.run(["createdb", name], check=True)


def drop_database(name):
    """Drop a database with its filestore, as Odoo does; fine if it is gone."""
    result = run_odoo("db", "drop", name, timeout=120)
    if result.returncode and "does not exist" not in result.stdout:
        raise RuntimeError(f"Could not drop database {name}:\n{result.stdout}")


def query(database, sql, params=None):
    """Rows of one SQL query on ``database``, in a connection of its own."""
    with closing(psycopg2.connect(dbname=database)) as connection:
        with connection.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()
