"""The package's parts import one way: apps -> tutorials, vision -> nn -> NumPy; datasets stand alone.

Each module's digitlab imports are read from its source (relative ones resolved), so a new arrow
pointing the wrong way, or a circle of imports inside a part, fails here.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "digitlab"
SHARED = {"", "errors", "utils", "_io", "__version__",  # digitlab itself and the small utilities every part uses
          "plots"}  # Figures from arrays and duck-typed models: a leaf (checked below), so nn may draw lazily

# what each part may import besides itself and SHARED
ALLOWED = {
    "plots": set(),  # imports nothing of digitlab but the small utilities
    "nn": set(),
    "datasets": {"idx"},
    "idx": set(),
    "vision": {"nn"},
    "tutorials": {"nn", "datasets", "idx"},
    "keras": {"nn", "datasets", "idx"},  # Keras's module names over the engine and the data
    "feedback": {"nn", "datasets", "idx", "vision"},  # stored examples, and fine-tuning on them
    "apps": {"nn", "datasets", "idx", "vision", "tutorials", "feedback"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def digitlab_imports(path: Path) -> set[str]:
    """Absolute names of the digitlab modules (or names in them) that ``path`` imports."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("digitlab")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("digitlab"):
                found |= {f"{mod}.{a.name}" for a in node.names} | {mod}
    return found


def piece(name: str) -> str:
    """The part a digitlab name belongs to: "nn" for digitlab.nn.model.Sequential, "" for digitlab itself."""
    pieces = name.split(".")
    return pieces[1] if len(pieces) > 1 else ""


MODULES = sorted(p for p in SRC.rglob("*.py") if piece(module_name(p)) in ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_imports_point_one_way(path):
    own = piece(module_name(path))
    for target in digitlab_imports(path):
        other = piece(target)
        ok = other in SHARED or other == own or other in ALLOWED[own]
        assert ok, f"{module_name(path)} ({own}) must not import {target} ({other or 'digitlab'})"


def test_no_circle_of_imports_in_the_engine():
    # package __init__ files only re-export their children, so edges are taken between plain modules
    paths = [p for p in (SRC / "nn").rglob("*.py") if p.name != "__init__.py"]
    modules = {module_name(p) for p in paths}

    def resolve(target):  # "digitlab.nn.saving.take" -> "digitlab.nn.saving"
        while target not in modules and "." in target:
            target = target.rsplit(".", 1)[0]
        return target

    edges = {module_name(p): {resolve(t) for t in digitlab_imports(p)} & modules - {module_name(p)} for p in paths}
    state = {}

    def visit(m, trail):
        if state.get(m) == "open":
            pytest.fail("import circle: " + " -> ".join(trail[trail.index(m):] + [m]))
        if state.get(m) is None:
            state[m] = "open"
            for t in sorted(edges[m]):
                visit(t, trail + [m])
            state[m] = "done"

    for m in sorted(edges):
        visit(m, [])


def test_model_file_module_does_not_know_the_model():
    assert not {t for t in digitlab_imports(SRC / "nn" / "saving.py") if t.startswith("digitlab.nn.model")}
