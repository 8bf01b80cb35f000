"""The shop's areas depend on each other in one direction only, so each can be read (and
changed) knowing only the areas below it.

An area is a subpackage of mooncart (bag, catalog, accounts, ...) or a top-level module (pages,
db, htmx, ...); the package itself, whose create_app wires every area together, is the area
"mooncart". Area A depends on area B when any module of A imports from B, at the top of a file
or inside a function: an import tucked into a function to dodge a cycle is still a cycle."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import mooncart

SOURCE = Path(mooncart.__file__).parent
MODULES = {
    ".".join(("mooncart", *path.relative_to(SOURCE).with_suffix("").parts)).removesuffix(".__init__"): path
    for path in sorted(SOURCE.rglob("*.py"))
}


def area_of(module: str) -> str:
    """mooncart.bag.routes -> bag, mooncart.pages -> pages, mooncart -> mooncart."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imported_modules(module: str, path: Path) -> set[str]:
    """Every mooncart module that `module` imports, relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            # `from .. import db` names a module; `from ..db import get_conn` names a function in one
            found |= {
                f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target for alias in node.names
            }
    return {name for name in found if name.split(".")[0] == "mooncart"}


def area_graph() -> dict[str, set[str]]:
    """area -> the other areas it imports."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        edges = graph.setdefault(area_of(module), set())
        edges |= {area_of(name) for name in imported_modules(module, path)} - {area_of(module)}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None: a depth-first search that meets an area still on its path."""
    done: set[str] = set()

    def visit(area: str, path: list[str]) -> list[str] | None:
        if area in path:
            return path[path.index(area) :] + [area]
        if area in done:
            return None
        for other in sorted(graph.get(area, ())):
            cycle = visit(other, path + [area])
            if cycle:
                return cycle
        done.add(area)
        return None

    for area in sorted(graph):
        cycle = visit(area, [])
        if cycle:
            return cycle
    return None


def test_every_module_imports():
    for module in MODULES:
        if module != "mooncart.__main__":  # importing it runs the command line
            importlib.import_module(module)


def test_the_graph_sees_the_areas_and_their_imports():
    graph = area_graph()
    assert {"bag", "catalog", "accounts", "checkout", "orders", "inventory", "admin", "pages", "db"} <= set(graph)
    assert {"catalog", "db", "pages", "accounts"} <= graph["bag"]
    assert graph["mooncart"] >= {"bag", "catalog", "accounts"}  # create_app wires them together


def test_areas_import_each_other_in_one_direction_only():
    cycle = find_cycle(area_graph())
    assert cycle is None, "areas import each other in a circle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    cycle = find_cycle({"bag": {"catalog"}, "catalog": {"pages"}, "pages": {"bag"}})
    assert cycle == ["bag", "catalog", "pages", "bag"]
    assert find_cycle({"bag": {"catalog", "pages"}, "catalog": {"pages"}, "pages": set()}) is None


def test_the_catalogue_does_not_import_the_bag():
    """The bag shows products, so it imports the catalogue; the catalogue never imports the bag."""
    assert "bag" not in area_graph()["catalog"]


TEMPLATES = SOURCE / "templates"
TESTS = Path(__file__).resolve().parents[1]


def test_a_template_named_like_a_region_is_one_a_page_includes():
    """`_<region>.html` is a region that a page (or another region) includes and an htmx reply may
    render alone; a whole reply that no page includes lives in `<area>/replies/`, so the name says
    which of the two a file is."""
    sources = "\n".join(path.read_text() for path in TEMPLATES.rglob("*.html"))
    regions = sorted(path.relative_to(TEMPLATES).as_posix() for path in TEMPLATES.rglob("_*.html"))
    assert regions, "the layout of templates/ changed: update this test"
    assert [name for name in regions if f'"{name}"' not in sources] == []


def test_no_test_module_imports_from_another():
    """Shared helpers live in tests/factories.py and fixtures in conftest.py: a test module that
    imports another depends on where that one lives and on what it happens to define."""
    borrowed = []
    for path in sorted(TESTS.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and module.startswith("tests.") and module.rpartition(".")[2].startswith("test_"):
                borrowed.append(f"{path.relative_to(TESTS)} imports {module}")
    assert borrowed == []
