"""The dependency direction: the page cache imports no feature app, and no two of the site's
apps or modules import each other, not even inside a function."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
APPS = [app for app in settings.INSTALLED_APPS if (ROOT / app / "apps.py").exists()]


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph():
    """Each module of the site's apps (migrations aside) -> the site's modules it imports,
    at the top or inside a function."""
    files = {
        module_name(path): path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    }
    graph = {}
    for name, path in files.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {m for m in imported if m in files and m != name}
    return graph


def find_cycle(graph):
    """One cycle in ``graph`` as a list of nodes, or None."""
    done, path = set(), []

    def visit(node):
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if cycle := visit(target):
                return cycle
        path.pop()
        done.add(node)
        return None

    return next((cycle for node in sorted(graph) if (cycle := visit(node))), None)


def app_graph(graph):
    apps = {}
    for module, targets in graph.items():
        app = module.split(".")[0]
        apps.setdefault(app, set()).update(t.split(".")[0] for t in targets)
        apps[app].discard(app)
    return apps


def test_the_page_cache_imports_none_of_the_sites_other_apps():
    assert app_graph(import_graph())["pagecache"] == set()


def test_no_two_apps_import_each_other_even_indirectly():
    assert find_cycle(app_graph(import_graph())) is None


def test_no_two_modules_import_each_other_even_inside_a_function():
    assert find_cycle(import_graph()) is None


def test_the_check_sees_a_cycle_when_there_is_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
