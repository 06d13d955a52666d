#!/usr/bin/env python3
"""test_clauses.py: every contract clause has a test (issue 12).

A clause is a line holding "must", "never", "at most", "within" or "sends
nothing" in a given header of steps 1-7 (steps/0*/*.h and
steps/07-deploy/given/*.h) or in an "## Exercise" section of a lesson page
(docs/en/steps/0*.md; not the code between include markers, which is the
tree's own). tests/clauses.md lists each one, by file and words,
with the tests that check it (`test_x_y` in `tests/NN-name/test_z.c`) or
"not a learner contract: why" / "not a clause: why", or, for a known gap
that the checker lists on every run, "not yet tested: why".

  1. the scanner finds clauses in a header and in an exercise section, and
     none outside an exercise section;
  2. every clause of the course is in tests/clauses.md;
  3. every test named there exists in the file named with it;
  4. every row names a test or says why it needs none.

  python3 tests/workspace/tools/test_clauses.py

Ends with "N passed, M failed"; exits non-zero on a failure.
"""

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MAP = ROOT / "tests" / "clauses.md"
WORDS = re.compile(r"\bmust\b|\bnever\b|at most|within|sends nothing", re.I)
TEST_REF = re.compile(r"`(test_[a-z0-9_]+)` in `(tests/[0-9]{2}-[a-z0-9-]+/test_[a-z0-9_]+\.c)`")
NO_TEST = re.compile(r"^(not a (learner contract|clause)|not yet tested): \S")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tally import check, summary  # noqa: E402


def norm(text):
    """The words of a clause line: no comment markers, single spaces."""
    text = text.strip()
    text = re.sub(r"^(/\*+|\*+/?|//)\s*", "", text)
    text = re.sub(r"\s*\*/$", "", text)
    return " ".join(text.replace("\\|", "|").split())


def header_clauses(root):
    files = sorted(root.glob("steps/0*/*.h")) + sorted(root.glob("steps/07-deploy/given/*.h"))
    for f in files:
        for n, line in enumerate(f.read_text().splitlines(), 1):
            if WORDS.search(line):
                yield f.relative_to(root).as_posix(), n, norm(line)


INCLUDE_START = re.compile(r"^\s*<!--\s*include:\s*\S+\s*-->\s*$")
INCLUDE_END = re.compile(r"^\s*<!--\s*/include:\s*\S+\s*-->\s*$")
MERMAID_START = re.compile(r"^\s*```mermaid\s*$")
FENCE_END = re.compile(r"^\s*```\s*$")


def lesson_clauses(root):
    """Clauses of the lessons' own words: code between include markers is the
    tree's (tools/checks/docsync.py writes it there), whose clauses are counted at
    their source; a Mermaid diagram pictures what the prose around it says,
    whose clauses are counted there."""
    for f in sorted(root.glob("docs/en/steps/0*.md")):
        inside = included = diagram = False
        for n, line in enumerate(f.read_text().splitlines(), 1):
            if INCLUDE_START.match(line):
                included = True
            elif INCLUDE_END.match(line):
                included = False
            elif MERMAID_START.match(line):
                diagram = True
            elif diagram and FENCE_END.match(line):
                diagram = False
            elif included or diagram:
                continue
            elif line.startswith("## "):
                inside = line.startswith("## Exercise")
            elif inside and WORDS.search(line):
                yield f.relative_to(root).as_posix(), n, norm(line)


def clauses(root):
    return list(header_clauses(root)) + list(lesson_clauses(root))


def read_map(path):
    """Rows of the map: (file, clause words, checked-by cell)."""
    rows = []
    for line in path.read_text().splitlines():
        if not line.startswith("| ") or line.startswith("| where ") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) != 3:
            rows.append((None, line, ""))
            continue
        where, words, by = cells
        rows.append((where.rsplit(":", 1)[0], norm(words), by))
    return rows


def test_scanner():
    print("the scanner")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "steps/09-x/given").mkdir(parents=True)
        (root / "docs/en/steps").mkdir(parents=True)
        (root / "steps/09-x/a.h").write_text("/* A reply\n * must come within 5 s. */\nint x;\n")
        (root / "docs/en/steps/09-x.md").write_text(
            "# X\n## Big picture\nYou never do this.\n## Exercise 1: y\nIt must be so.\n"
            "Nothing here.\n<!-- include: steps/09-x/a.h -->\n```c\n/* must come within 5 s. */\n```\n"
            "<!-- /include: steps/09-x/a.h -->\n```mermaid\nA->>B: at most 5 s\n```\nAfter.\n"
            "## Running\nat most\n")
        found = clauses(root)
        check(("steps/09-x/a.h", 2, "must come within 5 s.") in found, "a header clause, without comment marks",
              repr(found))
        check(("docs/en/steps/09-x.md", 5, "It must be so.") in found, "a clause of an exercise section", repr(found))
        check(len(found) == 2, "nothing outside an exercise section, nothing without the words, nothing "
              "in code between include markers (the tree's, counted at its source), nothing in a diagram",
              repr(found))


def test_map():
    print("tests/clauses.md")
    if not MAP.exists():
        check(False, "tests/clauses.md exists")
        return
    rows = read_map(MAP)
    bad = [r[1] for r in rows if r[0] is None]
    check(not bad, "every row has three cells: where | clause | checked by", "\n".join(bad))
    known = {(r[0], r[1]) for r in rows if r[0]}
    missing = [f"{f}:{n}: {w}" for f, n, w in clauses(ROOT) if (f, w) not in known]
    check(not missing, "every clause of a given header or an exercise section is in the map",
          "add a row (file:line | words | the tests that check it) to tests/clauses.md for:\n" + "\n".join(missing))
    absent, empty = [], []
    for f, words, by in rows:
        if f is None:
            continue
        refs = TEST_REF.findall(by)
        if not refs and not NO_TEST.match(by):
            empty.append(f"{f}: {words}")
        for name, path in refs:
            p = ROOT / path
            if not p.exists() or not re.search(rf"^static void {name}\(", p.read_text(), re.M):
                absent.append(f"{name} in {path} (for {f}: {words})")
    check(not empty, "every clause names its tests or says why it needs none", "\n".join(empty))
    gaps = [f"{f}: {words}" for f, words, by in rows if f and by.startswith("not yet tested:")]
    if gaps:
        print(f"  (known gaps, marked \"not yet tested\" in tests/clauses.md: {len(gaps)})")
        for g in gaps:
            print(f"      {g}")
    check(not absent, "every test named in the map exists in its file", "\n".join(absent))


def main():
    test_scanner()
    test_map()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
