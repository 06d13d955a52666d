#!/usr/bin/env python3
"""test_func_length.py: tools/checks/func_length.py's own tests.

Each test writes small C files into a temporary folder and asks the
checker about them:

  1. a function of 60 lines (brace to brace) passes, one of 61 fails, with
     its file, line, name and length;
  2. the name comes from a signature over several lines; a struct, an
     initialiser or a one-line function at column 0 is not a function;
  3. a listed dispatch switch may be longer, but only when it does hold a
     switch, and only in the file it is listed for;
  4. the command line exits 1 on findings and 0 without;
  5. lib/src and tools/protoc-gen-cgrpc hold no function over 60 lines
     (other than a listed dispatch switch).

  python3 tests/workspace/tools/test_func_length.py

Ends with "N passed, M failed"; exits non-zero on a failure.
"""

import io
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tally import check, summary  # noqa: E402
sys.path[:0] = [str(Path(__file__).resolve().parents[3] / "tools" / d) for d in ("course", "checks")]

import func_length  # noqa: E402



def function(name, length, body_line="    x++;", signature=None):
    """C text of a function `length` lines long, brace to brace."""
    sig = signature or f"static void {name}(int x)"
    return "\n".join([sig, "{"] + [body_line] * (length - 2) + ["}", ""])


def folder(files):
    tmp = tempfile.TemporaryDirectory()
    root = Path(tmp.name)
    for rel, text in files.items():
        (root / rel).write_text(text)
    return tmp, root


def test_limit():
    tmp, root = folder({"a.c": "/* a.c */\n#include <x.h>\n\n" + function("ok60", 60)
                        + "\n" + function("long61", 61)})
    with tmp:
        found, checked = func_length.too_long([root])
        check(checked == 2, "both functions are found", checked)
        check([(Path(f).name, line, name, n) for f, line, name, n in found]
              == [("a.c", 66, "long61", 61)],
              "60 lines pass, 61 fail, reported with file, line, name, length",
              found)


def test_what_is_a_function():
    text = ("struct point {\n    int x;\n};\n\n"
            "static const int table[] = {\n    1,\n};\n\n"
            "static int one(void) { return 1; }\n\n"
            "typedef struct\n{\n" + "    int a;\n" * 70 + "} big_struct;\n\n"
            + function("wide", 62, signature="static const char *\nwide(int x,\n     int y)"))
    tmp, root = folder({"b.c": text})
    with tmp:
        names = [(n, length) for n, _, length, _ in func_length.functions(root / "b.c")]
        check(names == [("wide", 62)],
              "a signature over lines names its function; structs, "
              "initialisers and one-liners are not functions", names)


def test_dispatch_switch():
    switch_body = function("dispatch", 70, body_line="    case 1: return 1;",
                           signature="static int dispatch(int x)").replace(
        "{\n", "{\n    switch (x) {\n", 1)
    plain = function("dispatch", 70, signature="static int dispatch(int x)")
    allow = {"s.c:dispatch": "a table"}
    tmp, root = folder({"s.c": switch_body, "t.c": plain})
    with tmp:
        found, _ = func_length.too_long([root / "s.c"], switches=allow)
        check(found == [], "a listed dispatch switch may be longer", found)
        found, _ = func_length.too_long([root / "t.c"], switches={"t.c:dispatch": "x"})
        check(len(found) == 1, "a listed function without a switch is not let off", found)
        found, _ = func_length.too_long([root / "s.c"], switches={"other.c:dispatch": "x"})
        check(len(found) == 1, "the allowance is for the file it names", found)


def run_main(args):
    out = io.StringIO()
    with redirect_stdout(out):
        rc = func_length.main(args)
    return rc, out.getvalue()


def test_command_line():
    tmp, root = folder({"a.c": function("short", 10), "b.c": function("long", 80)})
    with tmp:
        rc, out = run_main([str(root / "a.c")])
        check(rc == 0 and "no function longer than 60 lines (1 functions)" in out,
              "exit 0 and a summary without findings", out)
        rc, out = run_main([str(root)])
        check(rc == 1 and "b.c:1: long is 80 lines (at most 60)" in out,
              "exit 1 and one line per finding", out)
        rc, out = run_main(["--max", "90", str(root)])
        check(rc == 0, "--max sets the limit", out)


def test_this_repository():
    paths = [ROOT / "lib" / "src", ROOT / "tools" / "protoc-gen-cgrpc"]
    found, checked = func_length.too_long(paths)
    check(checked > 100 and found == [],
          f"lib/src and tools/protoc-gen-cgrpc: {checked} functions, none over 60 lines",
          "\n".join(f"{f}:{line}: {name} is {n} lines" for f, line, name, n in found))


if __name__ == "__main__":
    for t in (test_limit, test_what_is_a_function, test_dispatch_switch,
              test_command_line, test_this_repository):
        print(t.__name__)
        try:
            t()
        except Exception as e:  # a crash is a failure, not the end of the run
            check(False, f"{t.__name__} raised {type(e).__name__}", e)
    sys.exit(summary())
