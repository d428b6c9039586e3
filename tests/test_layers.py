"""DESIGN.md's architecture, checked on the source of ``course_utils`` (a short AST reading).

Layers, bottom up; a module imports only from its own layer or the layers below it:

    _validate, _memo, _env  ->  _arrays  ->  ops  ->  backprop, metrics,
    _keras_metrics, data, models, linked_math, toys (the domain)  ->  viz  ->  widgets, checks
    ->  training, diagnostics  ->  __main__ and the package itself

``checks`` never import ``widgets`` (nor the other way round), and ``ops``, ``data`` and ``viz``
import without Keras: nothing they import when they load (their module level, and that of every
course module it pulls in) imports keras, tensorflow, jax or torch.  Imports inside functions
count as dependencies for the layers (a lazy import is still an import) but not for start-up.
The last test builds a small package with violations and checks the checker finds each.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "course_utils"
LAYERS = (
    {"_validate", "_memo", "_env"},
    {"_arrays"},
    {"ops"},
    {"backprop", "metrics", "_keras_metrics", "data", "models", "linked_math", "toys"},
    {"viz"},
    {"widgets", "checks"},
    {"training", "diagnostics"},
    {"__main__", ""},  # "" is the package's own __init__
)
SIBLINGS = {("checks", "widgets"), ("widgets", "checks")}  # same layer, but never each other
KERAS_FREE = ("ops", "data", "viz")
HEAVY = ("keras", "tensorflow", "jax", "torch")


def _modules(package: Path) -> dict[str, tuple[Path, bool]]:
    """Module name relative to the package ("ops", "viz.png", "" for the package) -> (file, is_package)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return found


def _at_load(tree: ast.Module):
    """The import statements that run when the module loads: not inside a function, not under
    ``if TYPE_CHECKING:``."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _imports(name: str, is_pkg: bool, tree: ast.AST, modules, top: str, nodes=None):
    """``(target, line)`` for each import of a module of the package (``target`` relative to
    it), and ``(external top-level name, line)`` for the others, from ``nodes`` (default: all)."""
    inside, outside = [], []
    for node in ast.walk(tree) if nodes is None else nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                head, _, rest = alias.name.partition(".")
                (inside if head == top else outside).append(
                    (rest if head == top else head, node.lineno)
                )
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                here = name.split(".") if name else []
                pkg = here if is_pkg else here[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([node.module] if node.module else []))
            elif node.module.split(".")[0] == top:
                base = node.module.partition(".")[2]
            else:
                outside.append((node.module.split(".")[0], node.lineno))
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}" if base else alias.name
                inside.append((sub if sub in modules else base, node.lineno))
    return inside, outside


def _layer(name: str, layers) -> int | None:
    for i, layer in enumerate(layers):
        if name in layer or name.split(".")[0] in layer:
            return i
    return None


def layer_violations(package: Path, layers=LAYERS, siblings=SIBLINGS) -> list[str]:
    """Every import that reaches up a layer or across siblings, and every module with no layer."""
    modules, top, found = _modules(package), package.name, []
    for name, (path, is_pkg) in modules.items():
        mine = _layer(name, layers)
        if mine is None:
            found.append(f"{name or top}: in no layer; add it to LAYERS")
            continue
        inside, _ = _imports(name, is_pkg, ast.parse(path.read_text()), modules, top)
        for target, line in inside:
            theirs = _layer(target, layers)
            pair = (name.split(".")[0], target.split(".")[0])
            if theirs is not None and (theirs > mine or pair in siblings):
                found.append(f"{name or top}:{line} imports {target or top}")
    return found


def heavy_at_load(package: Path, roots=KERAS_FREE, heavy=HEAVY) -> list[str]:
    """Imports of ``heavy`` packages that loading any of ``roots`` runs (with the modules and
    parent packages they load in turn)."""
    modules, top = _modules(package), package.name
    seen, todo, found = set(), [r for r in roots if r in modules], []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path, is_pkg = modules[name]
        tree = ast.parse(path.read_text())
        inside, outside = _imports(name, is_pkg, tree, modules, top, list(_at_load(tree)))
        found += [f"{name or top}:{line} imports {ext}" for ext, line in outside if ext in heavy]
        parents = [".".join(name.split(".")[:i]) for i in range(len(name.split(".")))]
        todo += [t for t, _ in inside if t in modules] + parents
    return sorted(found)


def test_course_utils_keeps_its_layers():
    assert layer_violations(PACKAGE) == []


def test_ops_data_and_viz_import_without_keras():
    assert heavy_at_load(PACKAGE) == []


def test_the_checker_finds_each_kind_of_violation(tmp_path):
    pkg = tmp_path / "pkg"
    files = {
        "__init__.py": "",
        "_validate.py": "",
        "ops.py": "from . import _validate\n\n\ndef lazy():\n"
        "    import keras  # only when called: not at load\n"
        "    from .viz import picture  # but a layer is a layer, lazy or not\n",
        "data.py": "import numpy\nfrom pkg import ops\n",
        "metrics.py": "from .models import unet\n",  # same layer: allowed
        "models.py": "import keras\n",  # Keras in the domain is allowed ...
        "viz/__init__.py": "from .png import picture\nfrom .. import metrics\n",  # ... but viz loads it
        "viz/png.py": "from ..ops import lazy\n\ndef picture():\n    pass\n",
        "checks/__init__.py": "",
        "checks/a.py": "from ..widgets import b\n",
        "widgets/__init__.py": "",
        "widgets/b.py": "from .. import viz, ops\n",
        "stray.py": "",
    }
    for rel, text in files.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    assert layer_violations(pkg) == [
        "checks.a:1 imports widgets.b",
        "ops:6 imports viz",
        "stray: in no layer; add it to LAYERS",
    ]
    assert heavy_at_load(pkg, roots=("ops", "data", "viz")) == ["models:1 imports keras"]
    assert heavy_at_load(pkg, roots=("ops", "data")) == []
