"""Pure: imports run one way, and no module reaches into another's private names.

core (plumbing) at the bottom; then the pure modules, the lookup engine,
monitoring, cases, reports and demo, each importing only from below itself.
Every import counts, also one written inside a function.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "blcheck"

# Lowest first. A module may import from its own layer and the ones before it.
LAYERS = ["core", "pure", "lookups", "monitoring", "cases", "reports", "demo", "top"]

# PURE: no Django, no I/O; they may import only the standard library and each other.
PURE = (
    "blcheck.lookups.dnsbl",
    "blcheck.monitoring.targets",
    "blcheck.monitoring.imports",
    "blcheck.monitoring.keys",
    "blcheck.cases.workflow",
    "blcheck.cases.bounce",
    "blcheck.reports.stats",
    "blcheck.reports.timeline",
)
# The project's own frame: settings and the Celery app sit with core; the root
# URLconf, the WSGI entry point and the package's __init__ see everything.
FRAME = {
    "blcheck.settings": "core",
    "blcheck.celery": "core",
    "blcheck.urls": "top",
    "blcheck.wsgi": "top",
    "blcheck": "top",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    if module in FRAME:
        return FRAME[module]
    if any(module == pure or module.startswith(pure + ".") for pure in PURE):
        return "pure"
    return module.split(".")[1]


def blcheck_modules() -> list[Path]:
    return sorted(
        path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts
    )


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every import in the file, relative ones resolved."""
    found: list[tuple[int, str, list[str]]] = []
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}" if base else anchor
            found.append((node.lineno, base, [alias.name for alias in node.names]))
    return found


def own_target(module: str, names: list[str]) -> list[str]:
    """The blcheck modules an import reaches: `from blcheck.x import y` may name
    the module blcheck.x.y."""
    if not module.startswith("blcheck"):
        return []
    targets = []
    for name in names or [""]:
        candidate = f"{module}.{name}" if name else module
        path = ROOT / Path(*candidate.split("."))
        is_module = path.with_suffix(".py").exists() or (path / "__init__.py").exists()
        targets.append(candidate if name and is_module else module)
    return targets


def wrong_way_edges() -> list[str]:
    wrong = []
    for path in blcheck_modules():
        source = module_name(path)
        here = layer(source)
        for line, module, names in imports(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            if here == "pure" and not module.startswith("blcheck"):
                top = module.split(".")[0]
                if top in {"django", "dns", "celery", "redis"}:
                    wrong.append(f"{where} pure module imports {module}")
            for target in own_target(module, names):
                there = layer(target)
                if LAYERS.index(there) > LAYERS.index(here) or (
                    here == "pure" and there not in {"pure"}
                ):
                    wrong.append(f"{where} {here} imports {there} ({target})")
    return wrong


def private_imports(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        for line, module, names in imports(path):
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            if private:
                found.append(f"{path.relative_to(ROOT)}:{line} {module} {private}")
    return found


def test_imports_point_one_way():
    assert wrong_way_edges() == []


def test_no_module_imports_a_private_name_from_another():
    paths = blcheck_modules() + sorted((ROOT / "tests").rglob("*.py"))
    paths += sorted((ROOT / "bench").rglob("*.py"))
    assert private_imports(paths) == []


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("blcheck.core.access", "core"),
        ("blcheck.lookups.dnsbl", "pure"),
        ("blcheck.cases.bounce.mime", "pure"),
        ("blcheck.lookups.engine", "lookups"),
        ("blcheck.reports.views.target", "reports"),
        ("blcheck.demo.history", "demo"),
    ],
)
def test_layers_are_read_from_the_module_path(module, expected):
    assert layer(module) == expected


def test_a_wrong_way_import_is_caught(tmp_path, monkeypatch):
    """The walk itself works: core importing monitoring is reported."""
    fake = tmp_path / "blcheck" / "core"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text(
        "def f():\n    from blcheck.monitoring.models import Target\n"
    )
    (tmp_path / "blcheck" / "monitoring").mkdir()
    (tmp_path / "blcheck" / "monitoring" / "models.py").write_text("")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    monkeypatch.setitem(globals(), "PACKAGE", tmp_path / "blcheck")
    assert wrong_way_edges() == [
        "blcheck/core/bad.py:2 core imports monitoring (blcheck.monitoring.models)"
    ]
