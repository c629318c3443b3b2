"""The package's shape: layers imported one way only, no import circle, short modules.

The layer order is read from bot/__init__.py's docstring, so the documentation and this
check cannot drift apart. Every import counts, including those inside functions (the
lazy ones that keep `import bot` light).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
MAX_LINES = 300


def declared_layers() -> list[str]:
    """The sub-packages, lowest first, as the package docstring lists them."""
    doc = ast.get_docstring(ast.parse((BOT / "__init__.py").read_text(encoding="utf-8"))) or ""
    block = doc.split("lowest first:", 1)[1].strip().split("\n\n", 1)[0]
    return [m[1] for m in re.finditer(r"^\s*(\w+)\s{2,}", block, re.M)]


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(BOT.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The bot modules `name` imports, anywhere in its body."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:  # `from . import render` imports the module bot.app.render
                found.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def layer_of(name: str) -> str | None:
    """The sub-package of a module; None for the package's own entry points (bot, bot.__main__)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and (BOT / parts[1]).is_dir() else None


def test_every_sub_package_has_a_declared_layer():
    packages = sorted(p.name for p in BOT.iterdir() if (p / "__init__.py").is_file())
    assert sorted(declared_layers()) == packages


def test_no_module_imports_from_a_layer_above_its_own():
    rank = {layer: n for n, layer in enumerate(declared_layers())}
    upward = []
    for name, targets in GRAPH.items():
        here = layer_of(name)
        if here is None:
            continue  # bot/__init__.py and __main__.py sit above every layer
        for target in sorted(targets):
            there = layer_of(target)
            if there is None or rank[there] > rank[here]:
                upward.append(f"{name} ({here}) imports {target} ({there or 'the package entry'})")
    assert upward == []


def test_no_import_circle():
    """Tarjan's strongly connected components: any with more than one module is a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    assert circles == []


@pytest.mark.parametrize(
    "source, imported",
    [
        ("from ..core.errors import BotError", {"bot.core.errors"}),
        ("from . import render", {"bot.app.render"}),
        ("def f():\n    from ..answering.pipeline import ArticleQA", {"bot.answering.pipeline"}),
        ("import bot.store.embeddings", {"bot.store.embeddings"}),
    ],
)
def test_the_import_reader_sees_every_kind_of_import(tmp_path, monkeypatch, source, imported):
    path = BOT / "app" / "cli.py"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source if self == path else "")
    assert imports_of("bot.app.cli") == imported


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_short(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[name]} has {lines} lines - split it by concept"
