"""Say in one line what the test or run command is missing, or nothing.

Exit status 0 when Odoo 18 is importable and PostgreSQL answers, 2 otherwise.
"""

import shutil
import subprocess
import sys


def main():
    try:
        import odoo.release  # noqa: PLC0415
    except ImportError:
        print(
            "preflight: Odoo 18 is not importable by python3: install Odoo 18.0 "
            "(official Docker image, see docker/, or Odoo's source install) and retry."
        )
        return 2
    if odoo.release.version_info[0] != 18:
        print(
            f"preflight: python3 imports Odoo {odoo.release.version}, "
            "these addons need Odoo 18.0."
        )
        return 2
    if shutil.which("pg_isready") is None:
        print("preflight: pg_isready not found: install the PostgreSQL client tools.")
        return 2
    if subprocess.run(["pg_isready", "-q"], check=False).returncode != 0:
        print(
            "preflight: PostgreSQL does not answer (pg_isready): start it, or set "
            "PGHOST/PGPORT/PGUSER to a running server."
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
