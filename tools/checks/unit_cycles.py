#!/usr/bin/env python3
"""unit_cycles.py: no two units of the runtime call into each other.

A unit is one lib/src/X.c, compiled to X.o. Unit A uses unit B when A.o
needs a symbol (a function or a variable) that B.o defines: `nm` says
exactly which, with no guessing from the source (defined symbols: nm
--defined-only --extern-only; needed ones: nm --undefined-only). The
units must form layers: if A uses B, B does not use A, directly or
through other units. A cycle means neither unit can be read, tested or
changed without the other.

  python3 tools/checks/unit_cycles.py [--layers] [OBJ_DIR]   (default build/lib/obj)

Prints each cycle found, e.g.
  cycle: ctx -> status -> ctx
and exits 1 when there is any; otherwise prints "no cycles among N units"
and exits 0. --layers prints the units bottom to top, each with the units
it uses (what lib/README.md shows). Build the objects first
(make -f mk/lib.mk cgrpc-lib). Python 3.11 standard library and nm.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OBJ_DIR = ROOT / "build" / "lib" / "obj"


def _nm(obj, *flags):
    out = subprocess.run(["nm", *flags, str(obj)], check=True,
                         capture_output=True, text=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def uses(obj_dir):
    """{unit: set of the other units it uses}, from the .o files in obj_dir."""
    objs = sorted(Path(obj_dir).glob("*.o"))
    owner = {}
    for o in objs:
        for sym in _nm(o, "--defined-only", "--extern-only"):
            owner[sym] = o.stem
    graph = {}
    for o in objs:
        needed = _nm(o, "--undefined-only")
        graph[o.stem] = {owner[s] for s in needed
                         if s in owner and owner[s] != o.stem}
    return graph


def cycles(graph):
    """The strongly connected groups of more than one unit, each as one
    cycle through it (a list of units, the first repeated at the end)."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(set(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_through(graph, g) for g in groups]


def _cycle_through(graph, group):
    """A shortest cycle from the group's first unit back to itself."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & group):
                if w == start:
                    return paths[v] + [start]
                if w not in paths:
                    paths[w] = paths[v] + [w]
                    nxt.append(w)
        frontier = nxt
    return sorted(group)


def layers(graph):
    """The units in layers, bottom first: a unit's layer is one above the
    highest layer among the units it uses (0 for a unit that uses none).
    Units in a cycle are left out."""
    level = {}
    remaining = dict(graph)
    while remaining:
        ready = [u for u, deps in remaining.items() if deps <= level.keys()]
        if not ready:
            break
        for u in ready:
            level[u] = 1 + max((level[d] for d in graph[u]), default=-1)
            del remaining[u]
    out = {}
    for u, lv in level.items():
        out.setdefault(lv, []).append(u)
    return [sorted(out[k]) for k in sorted(out)]


def main(argv):
    show_layers = "--layers" in argv
    args = [a for a in argv if a != "--layers"]
    obj_dir = Path(args[0]) if args else DEFAULT_OBJ_DIR
    if not any(obj_dir.glob("*.o")):
        print(f"no .o files in {obj_dir}: build them first "
              "(make -f mk/lib.mk cgrpc-lib)")
        return 2
    graph = uses(obj_dir)
    if show_layers:
        for i, units in enumerate(layers(graph)):
            for u in units:
                used = ", ".join(sorted(graph[u])) or "-"
                print(f"{i}  {u:<12} uses {used}")
    found = cycles(graph)
    for c in found:
        print("cycle: " + " -> ".join(c))
    if found:
        return 1
    print(f"no cycles among {len(graph)} units")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
