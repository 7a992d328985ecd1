"""The linters of `make lint`, with the settings of pyproject.toml and
.pylintrc: ruff (lint and format) and pylint-odoo."""

import subprocess
import sys

from conftest import GLUE_MODULES, MODULES, ROOT

# Paths that may not exist yet in a fresh clone (an empty folder is not kept).
RUFF_PATHS = [
    name for name in ("addons", "tests", "bench", "tools") if (ROOT / name).exists()
]


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def test_ruff_check():
    result = run("ruff", "check", "--no-cache", *RUFF_PATHS)
    assert result.returncode == 0, result.stdout


def test_ruff_format():
    result = run("ruff", "format", "--check", "--no-cache", *RUFF_PATHS)
    assert result.returncode == 0, result.stdout


def test_pylint_odoo():
    addons = [f"addons/{module}" for module in (*MODULES, *GLUE_MODULES)]
    result = run("pylint", "--rcfile=.pylintrc", *addons)
    assert result.returncode == 0, result.stdout
