"""The house's rules that hold across apps: the floors (import-linter's layers contract in pyproject.toml) and who
names a staff role."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("crm", "accounts", "tiering", "teams", "campaigns", "kpis", "demo")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )


def test_every_app_imports_only_the_floors_below_it():
    result = lint_imports(ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_floors_contract_reads_the_real_imports(tmp_path):
    """Turned upside down, the same contract must break: the kept contract above is not kept by reading nothing."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = list(reversed(config["contracts"][0]["layers"]))
    upside_down = tmp_path / "importlinter.toml"
    upside_down.write_text(
        f"[tool.importlinter]\nroot_packages = {config['root_packages']!r}\n\n"
        f'[[tool.importlinter.contracts]]\nname = "upside down"\ntype = "layers"\nlayers = {layers!r}\n'
    )
    result = lint_imports(upside_down)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


# Who may name a staff role: the staff model itself, the permissions module, the staff service, admin and command that
# set a member of staff's role, and the demo that creates staff. Anyone else asks crm.permissions or the staff model.
NAMES_ROLES = {
    "crm/models.py",
    "crm/permissions.py",
    "crm/services.py",
    "crm/admin.py",
    "crm/management/commands/add_staff.py",
    "demo/seed/territory.py",
}


def _imports_role(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("models"):
            if any(alias.name == "Role" for alias in node.names):
                return True
    return False


def test_no_staff_role_is_named_outside_the_staff_model_and_the_permissions():
    naming = {
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and _imports_role(path)
    }
    assert naming <= NAMES_ROLES, sorted(naming - NAMES_ROLES)
    assert "crm/permissions.py" in naming  # the scan finds what it looks for


def test_every_floor_is_in_the_package_and_the_image():
    """An app on a floor but not in the package list or not copied into the production image would work here and
    fail in production."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    floors = set(pyproject["tool"]["importlinter"]["root_packages"])
    packaged = {pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = {line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY ")}
    assert floors <= packaged, floors - packaged
    assert floors <= copied, floors - copied


def test_the_import_guide_documents_every_column_of_every_kind():
    import django

    django.setup()
    from imports.kinds import KINDS

    guide = (ROOT / "docs" / "IMPORTS.md").read_text()
    for name, kind in KINDS.items():
        assert f"### `{name}`" in guide
        for column in kind.columns:
            assert f"| `{column.name}` | {column.label} |" in guide, (name, column.name)
