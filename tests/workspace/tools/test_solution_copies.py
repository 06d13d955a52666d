#!/usr/bin/env python3
"""test_solution_copies.py: tools/checks/solution_copies.py's own tests.

Each test writes a tiny workspace of its own (steps/NN-x/ and
solutions/NN-x/ in a temporary folder) and asks copied_runs what the
solution repeats of its starter:

  1. a run of 6 shared lines is found, with both files' line numbers; 5 are
     not; whitespace does not hide a copy;
  2. blank lines, comment-only lines (// and /* */, inside block comments,
     # in makefiles), brace-only lines and #include lines neither count nor
     break a run; a comment marker inside a string is not a comment;
  3. only a solution file and the starter of the same name are compared; a
     solution file with no starter, and a step with no solutions, are fine;
  4. the command line exits 1 on findings and 0 without;
  5. this repository's solutions hold no copy.

  python3 tests/workspace/tools/test_solution_copies.py

Ends with "N passed, M failed"; exits non-zero on a failure.
"""

import io
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tally import check, summary  # noqa: E402
sys.path[:0] = [str(Path(__file__).resolve().parents[3] / "tools" / d) for d in ("course", "checks")]

import solution_copies  # noqa: E402
from solution_copies import copied_runs  # noqa: E402



def workspace(files):
    """A temporary workspace holding files {relative path: text}."""
    tmp = tempfile.TemporaryDirectory()
    root = Path(tmp.name)
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp, root


def lines(prefix, n):
    return [f"int {prefix}{i} = {i};" for i in range(n)]


def c_file(body):
    return "\n".join(body) + "\n"


# --------------------------------------------------------------------------
# 1. runs of shared lines


def test_runs():
    print("runs of shared lines")
    shared = lines("given", 6)
    starter = c_file(["/* starter */", "int stub = 0;"] + shared + ["int todo = 0;"])
    solution = c_file(["/* solution */", "int a = 1;", "int b = 2;"] + shared + ["int done = 1;"])
    tmp, root = workspace({"steps/01-x/f.c": starter, "solutions/01-x/f.c": solution})
    with tmp:
        got = copied_runs(root, "01-x")
    check(got == ["solutions/01-x/f.c:4-9 repeats steps/01-x/f.c:3-8"],
          "six shared lines are one finding, with the lines of both files", got)

    starter = c_file(["int stub = 0;"] + lines("given", 5) + ["int todo = 0;"])
    solution = c_file(["int a = 1;"] + lines("given", 5) + ["int done = 1;"])
    tmp, root = workspace({"steps/01-x/f.c": starter, "solutions/01-x/f.c": solution})
    with tmp:
        got = copied_runs(root, "01-x")
    check(got == [], "five shared lines are not a copy", got)

    spaced = ["    int   given0 =  0;", "\tint given1 = 1;  "] + lines("given", 6)[2:]
    tmp, root = workspace({"steps/01-x/f.c": c_file(lines("given", 6)),
                           "solutions/01-x/f.c": c_file(spaced)})
    with tmp:
        got = copied_runs(root, "01-x")
    check(got == ["solutions/01-x/f.c:1-6 repeats steps/01-x/f.c:1-6"],
          "indentation and spacing are normalised: a re-indented copy is still found", got)

    two = lines("one", 6) + ["int differs = 1;"] + lines("two", 7)
    tmp, root = workspace({"steps/01-x/f.c": c_file(lines("one", 6) + ["int stub;"] + lines("two", 7)),
                           "solutions/01-x/f.c": c_file(two)})
    with tmp:
        got = copied_runs(root, "01-x")
    check(got == ["solutions/01-x/f.c:1-6 repeats steps/01-x/f.c:1-6",
                  "solutions/01-x/f.c:8-14 repeats steps/01-x/f.c:8-14"],
          "two separate runs are two findings, in the solution's order", got)


# --------------------------------------------------------------------------
# 2. lines that do not count


def test_ignored_lines():
    print("lines that neither count nor break a run")
    g = lines("given", 6)
    starter = c_file([g[0], "", "/* a comment", " * that goes on", " */", g[1], "{", g[2],
                      "// a line comment", g[3], "};", g[4], "#include \"x.h\"", g[5]])
    solution = c_file(g)
    tmp, root = workspace({"steps/01-x/f.c": starter, "solutions/01-x/f.c": solution})
    with tmp:
        got = copied_runs(root, "01-x")
    check(got == ["solutions/01-x/f.c:1-6 repeats steps/01-x/f.c:1-14"],
          "blank, comment, brace and #include lines between copied lines do not break the run", got)

    only_skipped = ["/* the same header comment", " * on several lines", " */", "#include <stdio.h>",
                    "#include \"a.h\"", "#include \"b.h\"", "{", "}", "};", "// more", "", "(", ");"]
    tmp, root = workspace({"steps/01-x/f.c": c_file(only_skipped + ["int stub;"]),
                           "solutions/01-x/f.c": c_file(only_skipped + ["int done;"])})
    with tmp:
        got = copied_runs(root, "01-x")
    check(got == [], "a shared header comment, includes and braces alone are not a copy", got)

    urls = [f'const char *u{i} = "http://example.com/{i}"; // note' for i in range(6)]
    tmp, root = workspace({"steps/01-x/f.c": c_file(urls), "solutions/01-x/f.c": c_file(urls)})
    with tmp:
        got = copied_runs(root, "01-x")
    check(got == ["solutions/01-x/f.c:1-6 repeats steps/01-x/f.c:1-6"],
          "'//' inside a string is code, not a comment", got)

    code_after = ["/* header */ int x0 = 0;"] + lines("given", 5)
    tmp, root = workspace({"steps/01-x/f.c": c_file(code_after), "solutions/01-x/f.c": c_file(code_after)})
    with tmp:
        got = copied_runs(root, "01-x")
    check(got == ["solutions/01-x/f.c:1-6 repeats steps/01-x/f.c:1-6"],
          "a line with code after a comment counts", got)

    mk = ["# a comment", "A := 1", "B := 2", "# another", "C := 3", "D := 4", "E := 5", "F := 6"]
    tmp, root = workspace({"steps/01-x/rules.mk": "\n".join(mk) + "\n",
                           "solutions/01-x/rules.mk": "\n".join(mk) + "\n"})
    with tmp:
        got = copied_runs(root, "01-x")
    check(got == ["solutions/01-x/rules.mk:2-8 repeats steps/01-x/rules.mk:2-8"],
          "in a makefile, # lines are comments and the six rules are a copy", got)

    proto = ['syntax = "proto3";', "// the service", "message A {", "  string a = 1;", "  string b = 2;",
             "  string c = 3;", "  string d = 4;", "  string e = 5;", "}"]
    tmp, root = workspace({"steps/01-x/a.proto": "\n".join(proto) + "\n",
                           "solutions/01-x/a.proto": "\n".join(proto) + "\n"})
    with tmp:
        got = copied_runs(root, "01-x")
    check(got == ["solutions/01-x/a.proto:1-8 repeats steps/01-x/a.proto:1-8"],
          ".proto files are read like C (// comments)", got)


# --------------------------------------------------------------------------
# 3. which files are compared


def test_which_files():
    print("which files are compared")
    g = c_file(lines("given", 8))
    tmp, root = workspace({"steps/01-x/given.c": g, "steps/01-x/f.c": c_file(["int stub;"]),
                           "solutions/01-x/f.c": g})
    with tmp:
        got = copied_runs(root, "01-x")
    check(got == [], "a solution is compared with its own starter only, not with other files", got)

    tmp, root = workspace({"solutions/01-x/new.c": g, "steps/01-x/other.c": g})
    with tmp:
        got = copied_runs(root, "01-x")
    check(got == [], "a solution file with no starter of its name is skipped", got)

    tmp, root = workspace({"steps/02-y/f.c": g})
    with tmp:
        got = copied_runs(root, "02-y")
    check(got == [], "a step with no solutions folder has nothing to report", got)


# --------------------------------------------------------------------------
# 4. the command line


def run_main(argv, root):
    out = io.StringIO()
    with redirect_stdout(out):
        rc = solution_copies.main(argv, root=root)
    return rc, out.getvalue()


def test_cli():
    print("the command line")
    g = c_file(lines("given", 6))
    tmp, root = workspace({"steps/01-x/f.c": g, "solutions/01-x/f.c": g,
                           "steps/02-y/f.c": c_file(["int stub;"]), "solutions/02-y/f.c": g})
    with tmp:
        rc, out = run_main([], root)
        check(rc == 1 and "solutions/01-x/f.c:1-6 repeats steps/01-x/f.c:1-6" in out
              and "02-y" not in out.split("\n")[0], "findings: printed, exit status 1", out)
        rc, out = run_main(["2"], root)
        check(rc == 0 and out.startswith("no copies"), "a step named by its number; no findings: exit 0", out)
        try:
            run_main(["9"], root)
            check(False, "an unknown step is refused")
        except SystemExit as e:
            check("no step" in str(e), "an unknown step is refused", e)


# --------------------------------------------------------------------------
# 5. this repository


def test_repository():
    print("this repository")
    found = [f for s in solution_copies.all_steps(ROOT) for f in copied_runs(ROOT, s)]
    check(not found, "no solution repeats its starter (given code lives in given files)", "\n".join(found))


def main():
    t0 = time.monotonic()
    test_runs()
    test_ignored_lines()
    test_which_files()
    test_cli()
    test_repository()
    print(f"({time.monotonic() - t0:.1f} s)")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
