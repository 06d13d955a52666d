#!/usr/bin/env python3
"""test_unit_cycles.py: tools/checks/unit_cycles.py's own tests.

Each test compiles a few tiny C units (cc -c) into a temporary folder and
asks the checker about their objects:

  1. who uses whom comes from the symbols: a call and a variable both count,
     a static function of the same name does not;
  2. two units that call each other are a cycle, and so is a longer ring
     (a -> b -> c -> a); the report names the cycle;
  3. units in layers are no cycle, and --layers lists them bottom first;
  4. the command line exits 1 on a cycle, 0 without, 2 with no objects;
  5. the runtime's units (build/lib/obj, built first) have no cycle.

  python3 tests/workspace/tools/test_unit_cycles.py

Ends with "N passed, M failed"; exits non-zero on a failure.
"""

import io
import subprocess
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tally import check, summary  # noqa: E402
sys.path[:0] = [str(Path(__file__).resolve().parents[3] / "tools" / d) for d in ("course", "checks")]

import unit_cycles  # noqa: E402



def objects(units):
    """A temporary folder with {name}.o compiled from each {name: C text}."""
    tmp = tempfile.TemporaryDirectory()
    root = Path(tmp.name)
    for name, text in units.items():
        src = root / f"{name}.c"
        src.write_text(text)
        subprocess.run(["cc", "-c", "-o", str(root / f"{name}.o"), str(src)],
                       check=True)
        src.unlink()
    return tmp, root


def test_uses():
    tmp, root = objects({
        "low": "int low_count;\nint low_f(void) { return 1; }\n",
        "mid": "extern int low_count;\nint mid_f(void) { return low_count; }\n",
        "top": "int low_f(void);\nint mid_f(void);\n"
               "int top_f(void) { return low_f() + mid_f(); }\n",
        "own": "static int low_f(void) { return 2; }\n"
               "int own_f(void) { return low_f(); }\n",
    })
    with tmp:
        g = unit_cycles.uses(root)
        check(g == {"low": set(), "mid": {"low"}, "top": {"low", "mid"}, "own": set()},
              "calls and variables count; a static of the same name does not", g)


def test_cycles():
    tmp, root = objects({
        "a": "int b_f(void);\nint a_f(void) { return b_f(); }\n",
        "b": "int a_f(void);\nint b_f(void) { return 0; }\nint b_g(void) { return a_f(); }\n",
        "c": "int d_f(void);\nint c_f(void) { return d_f(); }\n",
        "d": "int e_f(void);\nint d_f(void) { return e_f(); }\n",
        "e": "int c_f(void);\nint e_f(void) { return c_f(); }\n",
        "f": "int a_f(void);\nint f_f(void) { return a_f(); }\n",
    })
    with tmp:
        found = unit_cycles.cycles(unit_cycles.uses(root))
        check(sorted(found) == [["a", "b", "a"], ["c", "d", "e", "c"]],
              "a pair and a ring of three are found; a unit that only uses one is not in it",
              found)


def run_main(args):
    out = io.StringIO()
    with redirect_stdout(out):
        rc = unit_cycles.main(args)
    return rc, out.getvalue()


def test_layers_and_command_line():
    tmp, root = objects({
        "base": "int base_f(void) { return 1; }\n",
        "left": "int base_f(void);\nint left_f(void) { return base_f(); }\n",
        "right": "int base_f(void);\nint right_f(void) { return base_f(); }\n",
        "top": "int left_f(void);\nint right_f(void);\n"
               "int top_f(void) { return left_f() + right_f(); }\n",
    })
    with tmp:
        g = unit_cycles.uses(root)
        check(unit_cycles.layers(g) == [["base"], ["left", "right"], ["top"]],
              "layers bottom first", unit_cycles.layers(g))
        rc, out = run_main(["--layers", str(root)])
        check(rc == 0 and "no cycles among 4 units" in out
              and "2  top          uses left, right" in out,
              "exit 0, the layers and a summary without a cycle", out)
    tmp, root = objects({
        "a": "int b_f(void);\nint a_f(void) { return b_f(); }\n",
        "b": "int a_f(void);\nint b_f(void) { return a_f(); }\n",
    })
    with tmp:
        rc, out = run_main([str(root)])
        check(rc == 1 and "cycle: a -> b -> a" in out, "exit 1 and the cycle named", out)
    with tempfile.TemporaryDirectory() as empty:
        rc, out = run_main([empty])
        check(rc == 2 and "build them first" in out, "exit 2 without objects", out)


def test_the_runtime():
    build = subprocess.run(["make", "-s", "-C", str(ROOT), "-f", "mk/lib.mk", "cgrpc-lib"],
                           capture_output=True, text=True)
    if not check(build.returncode == 0, "the runtime builds", build.stdout + build.stderr):
        return
    obj = ROOT / "build" / "lib" / "obj"
    g = unit_cycles.uses(obj)
    found = unit_cycles.cycles(g)
    check(len(g) >= 10 and found == [],
          f"the runtime's {len(g)} units have no cycle",
          "\n".join(" -> ".join(c) for c in found))
    units = {p.stem for p in (ROOT / "lib" / "src").glob("*.c")}
    check(set(g) == units, "every lib/src/*.c is a unit", sorted(units ^ set(g)))


if __name__ == "__main__":
    for t in (test_uses, test_cycles, test_layers_and_command_line, test_the_runtime):
        print(t.__name__)
        try:
            t()
        except Exception as e:  # a crash is a failure, not the end of the run
            check(False, f"{t.__name__} raised {type(e).__name__}", e)
    sys.exit(summary())
