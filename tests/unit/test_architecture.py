"""The shape of the code, checked: no import cycle anywhere in hcpay_app, services in domain
packages whose imports only point down, and the web layer kept out of the business layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hcpay_app.config import PROJECT_ROOT

APP = PROJECT_ROOT / "hcpay_app"
# Lowest first: a package may import only the packages before it.
LAYERS = ("common", "adapters", "accounts", "billing", "payments", "recurring", "support", "overview", "jobs")


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in APP.rglob("*.py")}


def imports_of(path: Path) -> set[str]:
    """Every hcpay_app module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("hcpay_app"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hcpay_app"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
    return found


GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def test_the_graph_is_read():
    assert len(MODULES) > 60
    assert "hcpay_app.services.billing.ledger" in GRAPH["hcpay_app.services.billing.invoicing"]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state and (cycle := visit(name)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle_anywhere_in_the_app():
    assert find_cycle(GRAPH) is None, " → ".join(find_cycle(GRAPH) or [])


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] == "services" and parts[2] in LAYERS:
        return LAYERS.index(parts[2])
    return None


SERVICE_MODULES = sorted(name for name in GRAPH if layer_of(name) is not None)


@pytest.mark.parametrize("module", SERVICE_MODULES)
def test_a_service_imports_only_its_own_package_and_those_below(module):
    own = layer_of(module)
    upward = sorted(target for target in GRAPH[module] if (layer := layer_of(target)) is not None and layer > own)
    assert upward == [], f"{module} imports a package above its own: {upward}"


@pytest.mark.parametrize("module", SERVICE_MODULES)
def test_services_never_reach_the_web_layer(module):
    source = MODULES[module].read_text()
    assert "import reflex" not in source and "from reflex" not in source
    web_layer = ("hcpay_app.state", "hcpay_app.pages", "hcpay_app.components")
    web = sorted(target for target in GRAPH[module] if target.startswith(web_layer))
    assert web == []


def test_nothing_in_the_services_imports_the_jobs():
    importers = sorted(
        name
        for name, targets in GRAPH.items()
        if layer_of(name) is not None
        and layer_of(name) != LAYERS.index("jobs")
        and any(layer_of(t) == LAYERS.index("jobs") for t in targets)
    )
    assert importers == []


def test_every_service_lives_in_a_domain_package():
    loose = sorted(path.name for path in (APP / "services").glob("*.py") if path.name != "__init__.py")
    assert loose == []


@pytest.mark.parametrize("package", LAYERS)
def test_each_domain_package_says_what_it_owns(package):
    docstring = ast.get_docstring(ast.parse((APP / "services" / package / "__init__.py").read_text()))
    assert docstring and len(docstring) > 60, f"services/{package}/__init__.py must say what it owns"


def test_the_schema_imports_no_business_code():
    assert sorted(t for t in GRAPH["hcpay_app.models"] if t.startswith("hcpay_app.services")) == []
