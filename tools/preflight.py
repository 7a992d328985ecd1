"""Say in one line what the test or run command is missing, or nothing.

Exit status 0 when Odoo 18 is importable, PostgreSQL answers and the
project's requirements (requirements.txt, OCA wheels included) are installed;
missing or mismatched requirements are installed with pip first. Exit status
2 otherwise.
"""

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"


def unmet_requirements(path=REQUIREMENTS):
    """The lines of ``path`` that the running Python does not satisfy."""
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415

    unmet = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            unmet.append(line)
            continue
        if requirement.marker and not requirement.marker.evaluate():
            continue
        try:
            installed = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            unmet.append(line)
            continue
        if requirement.specifier and not requirement.specifier.contains(
            installed, prereleases=True
        ):
            unmet.append(line)
    return unmet


def install_requirements():
    """Install requirements.txt when something in it is missing; 0 on success."""
    unmet = unmet_requirements()
    if not unmet:
        return 0
    names = ", ".join(unmet)
    print(f"preflight: installing {len(unmet)} missing requirement(s): {names}")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        + ["-r", str(REQUIREMENTS)],
        check=False,
    )
    still = ", ".join(unmet_requirements())
    if result.returncode != 0 or still:
        print(
            "preflight: pip could not install requirements.txt "
            f"({still or 'see above'}): install it by hand and retry."
        )
        return 2
    return 0


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
    return install_requirements()


if __name__ == "__main__":
    sys.exit(main())
