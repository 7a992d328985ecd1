"""The translation templates hold every user-facing string: each addon's
.pot, exported again from a database where the addons are installed, has no
message the committed one lacks (tests/test_static.py checks that es and bg
translate every message of the committed one)."""

import pytest
from test_static import TRANSLATED_ADDONS, po_entries

from conftest import ADDONS, ADDONS_PATH, run_odoo

pytestmark = pytest.mark.timeout(600)


@pytest.mark.parametrize("addon_dir", TRANSLATED_ADDONS, ids=lambda path: path.name)
def test_template_is_current(addon_dir, rpc_database, tmp_path):
    exported = tmp_path / f"{addon_dir.name}.pot"
    run = run_odoo(
        "-d",
        rpc_database,
        ADDONS_PATH,
        f"--i18n-export={exported}",
        f"--modules={addon_dir.name}",
        "--stop-after-init",
        "--log-level=warn",
        "--no-http",
    )
    assert run.returncode == 0 and exported.is_file(), run.stdout[-3000:]
    committed = po_entries(addon_dir / "i18n" / f"{addon_dir.name}.pot")
    missing = sorted(key[1] for key in po_entries(exported) if key not in committed)
    assert not missing, (
        f"{len(missing)} strings missing from {addon_dir.relative_to(ADDONS)}/i18n "
        f"(run `make i18n`), e.g. {missing[:5]}"
    )
