#!/usr/bin/env python3
"""List import cycles among fourlayer's own modules (module-level and deferred imports alike). Exit 1 if any.

    .venv/bin/python scripts/import_cycles.py
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREES = {"fourlayer": ROOT / "fourlayer", "fourlayer.checks": ROOT / "checks", "fourlayer.reports": ROOT / "reports"}


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for prefix, base in TREES.items():
        for path in base.rglob("*.py"):
            rel = path.relative_to(base).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([prefix, *parts])
            if prefix == "fourlayer" and parts and parts[0] in ("checks", "reports"):
                continue
            found[name] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name and not name.startswith(t + "."):  # a module's own packages are not a cycle
                out.add(t)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    result: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                result.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return result


def main() -> int:
    found = modules()
    graph = {n: imports(n, p, set(found)) & set(found) for n, p in found.items()}
    # a package's __init__ importing its own submodules (registration) is not a cycle
    graph = {n: {t for t in ts if not t.startswith(n + ".")} for n, ts in graph.items()}
    found_cycles = cycles(graph)
    for comp in found_cycles:
        print("cycle:", " <-> ".join(comp))
    print(f"{len(found)} modules, {len(found_cycles)} import cycle(s)")
    return 1 if found_cycles else 0


if __name__ == "__main__":
    sys.exit(main())
