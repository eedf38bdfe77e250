"""The shape of the code base, as docs/architecture.md describes it: a newcomer can trust it.

- Lower feature packages never import higher ones (the ledger never imports vouchers).
- The domain is plain Python: only views and the web shell import Flask.
- No product module grows past about 400 lines (the one ordered migration set aside).
- The home site (``home``) sits above ``kiosk`` and ``sync``: nothing of theirs imports it but
  the top-level command that serves the hub (kiosk/cli.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("kiosk", "printing", "sync", "home")

# Each layer may import only the layers to its left (and itself). Feature packages of the same
# rank (vouchers, board, projects) do not import each other.
LAYERS = ["core", "store", "residents", "ledger", "vouchers", "community", "admin", "top"]
RANK = {name: index for index, name in enumerate(LAYERS)}
RANK["board"] = RANK["projects"] = RANK["vouchers"]
FEATURES = {"residents", "ledger", "vouchers", "board", "projects", "community", "admin"}
TOP_MODULES = {"kiosk.app", "kiosk.cli", "kiosk.cli_ops", "kiosk.background", "kiosk.demo"}
LONG_MODULES = {
    "kiosk/store/schema.py",
    "sync/hub/schema.py",
    "sync/hub/schema_pg.py",
}  # the ordered migration sets (the hub has one a store)
MAX_LINES = 420


def modules(package: str, root: Path = ROOT) -> list[tuple[str, Path]]:
    found = []
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append((".".join(parts), path))
    return found


def layer_of(module: str) -> str | None:
    """The layer of a ``kiosk`` module, or None for anything else (printing, sync, libraries)."""
    parts = module.split(".")
    if parts[0] != "kiosk":
        return None
    if module in TOP_MODULES or module == "kiosk":
        return "top" if module != "kiosk" else "core"
    second = parts[1]
    if second in FEATURES or second == "store":
        return second
    if second == "web":
        return "web"
    return "core"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, with its line (``from a import b`` counts ``a.b`` too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def is_view(module: str) -> bool:
    return module.rsplit(".", 1)[-1].startswith("views")


def layering_violations(root: Path = ROOT) -> list[str]:
    problems = []
    for module, path in modules("kiosk", root):
        mine = layer_of(module)
        if mine == "top":
            continue
        for line, imported in imported_modules(path):
            theirs = layer_of(imported)
            if theirs is None or theirs == mine or imported == "kiosk":
                continue
            if theirs == "web":
                if mine == "web" or is_view(module):
                    continue
                problems.append(f"{module}:{line} imports the web shell ({imported})")
                continue
            if mine == "web":
                # the shell knows who is logged in (residents) and nothing higher
                if RANK[theirs] <= RANK["residents"]:
                    continue
                problems.append(f"{module}:{line} (web shell) imports {imported}")
                continue
            if theirs == "top" or RANK[theirs] >= RANK[mine]:
                problems.append(f"{module}:{line} ({mine}) imports {imported} ({theirs})")
    return sorted(set(problems))


def test_lower_packages_never_import_higher_ones():
    assert layering_violations() == []


def home_importers(root: Path = ROOT) -> list[str]:
    """Modules of ``kiosk``, ``sync`` and ``printing`` that import ``home`` (the top-level
    command that serves the hub excepted)."""
    found = []
    for package in ("kiosk", "sync", "printing"):
        for module, path in modules(package, root):
            if module in TOP_MODULES:
                continue
            for line, imported in imported_modules(path):
                if imported == "home" or imported.startswith("home."):
                    found.append(f"{module}:{line} imports {imported}")
    return sorted(set(found))


def test_nothing_below_the_home_site_imports_it(tmp_path):
    assert home_importers() == []
    (tmp_path / "sync" / "hub").mkdir(parents=True)
    (tmp_path / "sync" / "hub" / "bad.py").write_text("from home import site\n", encoding="utf-8")
    assert home_importers(tmp_path) == [
        "sync.hub.bad:1 imports home",
        "sync.hub.bad:1 imports home.site",
    ]


def test_the_layering_check_names_a_lower_package_importing_a_higher_one(tmp_path):
    """The check itself: a ledger module importing vouchers, a domain module importing the web
    shell, and residents importing the board are each named."""
    for name, text in {
        "kiosk/ledger/bad.py": "from kiosk.vouchers import vouchers\n",
        "kiosk/board/domain.py": "from kiosk.web.session_state import db\n",
        "kiosk/residents/views_ok.py": "from kiosk.web.session_state import db\n",
        "kiosk/residents/worse.py": "import kiosk.board.board\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert layering_violations(tmp_path) == [
        "kiosk.board.domain:1 imports the web shell (kiosk.web.session_state)",
        "kiosk.board.domain:1 imports the web shell (kiosk.web.session_state.db)",
        "kiosk.ledger.bad:1 (ledger) imports kiosk.vouchers (vouchers)",
        "kiosk.ledger.bad:1 (ledger) imports kiosk.vouchers.vouchers (vouchers)",
        "kiosk.residents.worse:1 (residents) imports kiosk.board.board (board)",
    ]


@pytest.mark.parametrize("package", PRODUCT)
def test_the_domain_is_plain_python(package):
    """Flask is for views, the web shell and the hub's app; domain modules never import it."""
    offenders = []
    for module, path in modules(package):
        if (
            is_view(module)
            or module.startswith(("kiosk.web", "sync.hub", "home"))
            or module
            in (
                "kiosk.app",
                "kiosk.cli",
            )
        ):
            continue
        for line, imported in imported_modules(path):
            if imported.split(".")[0] in ("flask", "flask_babel", "flask_wtf"):
                offenders.append(f"{module}:{line} imports {imported}")
    assert offenders == []


@pytest.mark.parametrize("package", PRODUCT)
def test_no_product_module_is_over_about_400_lines(package):
    long = {
        str(path.relative_to(ROOT)): count
        for _module, path in modules(package)
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and str(path.relative_to(ROOT)) not in LONG_MODULES
    }
    assert long == {}
