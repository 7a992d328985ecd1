"""What can be checked without running Odoo: XML files, manifests, access
rights of every model, and the addons' test modules."""

import ast
import csv
import re
from pathlib import Path

import pytest
from lxml import etree

from odoo.modules.module import get_module_path

from conftest import ADDONS

ADDON_DIRS = sorted(path.parent for path in ADDONS.glob("*/__manifest__.py"))
OUR_ADDONS = {path.name: path for path in ADDON_DIRS}
XML_FILES = sorted(ADDONS.rglob("*.xml"))
VERSION = re.compile(r"18\.0\.\d+\.\d+\.\d+")
LICENSES = {"LGPL-3", "AGPL-3"}
MODEL_BASES = {"Model", "TransientModel"}


def relative(path):
    return str(path.relative_to(ADDONS))


def read_manifest(addon_dir):
    return ast.literal_eval((addon_dir / "__manifest__.py").read_text())


def python_files(addon_dir):
    return [
        path
        for path in addon_dir.rglob("*.py")
        if not {"tests", "migrations"} & set(path.relative_to(addon_dir).parts)
    ]


def class_attribute(node, name):
    """The literal value assigned to ``name`` in a class body, or None."""
    for statement in node.body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name
            for target in statement.targets
        ):
            try:
                return ast.literal_eval(statement.value)
            except ValueError:
                return None
    return None


def declared_models(addon_dir):
    """``_name`` of the Model/TransientModel classes that create a model (not
    those extending one under its own name)."""
    names = set()
    for path in python_files(addon_dir):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {
                base.attr
                if isinstance(base, ast.Attribute)
                else getattr(base, "id", "")
                for base in node.bases
            }
            name = class_attribute(node, "_name")
            inherit = class_attribute(node, "_inherit") or []
            if isinstance(inherit, str):
                inherit = [inherit]
            if bases & MODEL_BASES and isinstance(name, str) and name not in inherit:
                names.add(name)
    return names


def access_rows(addon_dir):
    path = addon_dir / "security" / "ir.model.access.csv"
    if not path.exists():
        return []
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def defined_groups(module_dir):
    """XML ids of the ``res.groups`` records a module's XML files define."""
    ids = set()
    for path in module_dir.rglob("*.xml"):
        ids.update(etree.parse(str(path)).xpath("//record[@model='res.groups']/@id"))
    return ids


def group_exists(reference, addon):
    """Whether a ``group_id:id`` of ``addon``'s csv names a group of our
    addons or of Odoo's (``module.xmlid``, or a local ``xmlid``)."""
    module, _dot, xmlid = reference.rpartition(".")
    module = module or addon
    module_dir = OUR_ADDONS.get(module)
    if module_dir is None:
        path = get_module_path(module, display_warning=False)
        if not path:
            return False
        module_dir = Path(path)
    return xmlid in defined_groups(module_dir)


def test_addons_found():
    assert {"relationship_mgmt", "relationship_brm"} <= set(OUR_ADDONS)


@pytest.mark.parametrize("path", XML_FILES, ids=relative)
def test_xml_file_parses(path):
    etree.parse(str(path))


@pytest.mark.parametrize("addon_dir", ADDON_DIRS, ids=lambda path: path.name)
def test_manifest(addon_dir):
    manifest = read_manifest(addon_dir)
    assert isinstance(manifest, dict)
    assert VERSION.fullmatch(manifest.get("version", "")), manifest.get("version")
    assert manifest.get("license") in LICENSES
    for key in ("name", "author", "website", "category"):
        assert isinstance(manifest.get(key), str) and manifest[key], key
    assert isinstance(manifest.get("depends"), list) and manifest["depends"]
    missing = [
        name
        for key in ("data", "demo")
        for name in manifest.get(key, [])
        if not (addon_dir / name).is_file()
    ]
    assert not missing, f"listed in the manifest but not found: {missing}"


@pytest.mark.parametrize("addon_dir", ADDON_DIRS, ids=lambda path: path.name)
def test_every_model_has_access_rights(addon_dir):
    addon = addon_dir.name
    models_with_rows = {
        row["model_id:id"].removeprefix(f"{addon}.") for row in access_rows(addon_dir)
    }
    missing = sorted(
        name
        for name in declared_models(addon_dir)
        if f"model_{name.replace('.', '_')}" not in models_with_rows
    )
    assert not missing, f"no row in security/ir.model.access.csv for {missing}"


@pytest.mark.parametrize("addon_dir", ADDON_DIRS, ids=lambda path: path.name)
def test_access_rights_name_existing_groups(addon_dir):
    groups = {row["group_id:id"] for row in access_rows(addon_dir)} - {""}
    unknown = sorted(
        group for group in groups if not group_exists(group, addon_dir.name)
    )
    assert not unknown, f"groups defined nowhere: {unknown}"


@pytest.mark.parametrize("addon_dir", ADDON_DIRS, ids=lambda path: path.name)
def test_test_modules_imported(addon_dir):
    """Odoo runs the test modules tests/__init__.py imports, pytest every
    tests/test_*.py: both lists must be the same."""
    tests_dir = addon_dir / "tests"
    files = {path.stem for path in tests_dir.glob("test_*.py")}
    init = tests_dir / "__init__.py"
    imported = set()
    if init.exists():
        for node in ast.parse(init.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    imported.add(node.module)
                else:
                    imported.update(alias.name for alias in node.names)
    imported = {name for name in imported if name.startswith("test_")}
    assert files == imported, (
        f"not imported: {sorted(files - imported)}; "
        f"imported but missing: {sorted(imported - files)}"
    )


# ---- Translations ----
LANGUAGES = ("es", "bg")
PLACEHOLDER = re.compile(r"%\([a-zA-Z_][a-zA-Z0-9_]*\)[sdfr]|%[sdfr]|\{[a-zA-Z_]\w*\}")
TRANSLATED_ADDONS = ADDON_DIRS


def po_entries(path):
    import polib  # noqa: PLC0415 (Odoo's own requirement, read only here)

    return {
        (entry.msgctxt, entry.msgid): entry
        for entry in polib.pofile(str(path))
        if not entry.obsolete
    }


@pytest.mark.parametrize("addon_dir", ADDON_DIRS, ids=lambda path: path.name)
def test_every_addon_has_a_template(addon_dir):
    """Every addon ships its translation template (`make i18n` writes it)."""
    template = addon_dir / "i18n" / f"{addon_dir.name}.pot"
    assert template.is_file(), f"{relative(template)} is missing"


@pytest.mark.parametrize(
    "addon_dir,lang",
    [(path, lang) for path in TRANSLATED_ADDONS for lang in LANGUAGES],
    ids=lambda value: value if isinstance(value, str) else value.name,
)
def test_translation_is_complete(addon_dir, lang):
    """Every string of the template is translated, not fuzzy, and keeps the
    placeholders of its source (a lost %(name)s breaks the message)."""
    template = po_entries(addon_dir / "i18n" / f"{addon_dir.name}.pot")
    catalog_path = addon_dir / "i18n" / f"{lang}.po"
    assert catalog_path.is_file(), f"{relative(catalog_path)} is missing"
    catalog = po_entries(catalog_path)
    missing, fuzzy, placeholders = [], [], []
    for key, source in template.items():
        entry = catalog.get(key)
        translations = (
            list(entry.msgstr_plural.values())
            if entry is not None and entry.msgid_plural
            else [entry.msgstr if entry is not None else ""]
        )
        if entry is None or not all(text.strip() for text in translations):
            missing.append(source.msgid)
            continue
        if "fuzzy" in entry.flags:
            fuzzy.append(source.msgid)
        expected = sorted(PLACEHOLDER.findall(source.msgid))
        if any(sorted(PLACEHOLDER.findall(text)) != expected for text in translations):
            placeholders.append(source.msgid)
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"
    assert not placeholders, f"placeholders changed in {placeholders[:5]}"


# The Apps page (static/description/index.html) of the addons users install.
APPS_PAGES = ("relationship_mgmt", "relationship_brm")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("addon", APPS_PAGES)
def test_apps_page_is_well_formed_with_its_screenshots(addon):
    """The page parses as XML (Odoo's Apps store and OCA's tools read it
    so), has a title and sections, and every image it shows is a PNG of
    the addon's static/description."""
    description = OUR_ADDONS[addon] / "static" / "description"
    page = description / "index.html"
    assert page.is_file(), f"{relative(page)} is missing"
    content = page.read_bytes()
    # Odoo 17+ warns about an XML declaration in a module description.
    assert not content.startswith(b"<?xml"), "no XML declaration"
    root = etree.fromstring(content)  # raises if not well-formed
    assert root.xpath("//h1|//h2"), "no title"
    sources = root.xpath("//img/@src")
    assert sources, "no screenshot"
    for source in sources:
        assert "://" not in source and not source.startswith("/"), source
        image = description / source
        assert image.is_file(), f"{relative(page)} shows {source}, missing"
        assert image.read_bytes()[:8] == PNG_SIGNATURE, f"{source} is no PNG"
