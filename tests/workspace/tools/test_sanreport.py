#!/usr/bin/env python3
"""test_sanreport.py: tools/course/coursekit/sanreport.py reads real sanitizer reports.

The reports in tests/workspace/tools/sanitizer/ were printed by gcc 12's sanitizers:
a leak in a step-4 handler (under a cmocka suite), a use after free, a read
past a buffer (UBSan sees it first), a signed overflow, and a data race.
Paths were rewritten to /ws/...; the learner's files are under steps/ or
solutions/.

  python3 tests/workspace/tools/test_sanreport.py       ends with "N passed, M failed"
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(Path(__file__).resolve().parents[3] / "tools" / d) for d in ("course", "checks")]

from coursekit import sanreport  # noqa: E402

SAMPLES = Path(__file__).resolve().parent / "sanitizer"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tally import check, summary  # noqa: E402


def learner(path):
    return "/steps/" in path or "/solutions/" in path


def main():
    print("tools/course/coursekit/sanreport.py on real reports")
    cases = [("leak.txt", "memory leak", "user_service.c:35", "get_user"),
             ("use-after-free.txt", "use after free", "uaf.c:8", "main"),
             ("overflow.txt", "read or write past a buffer", "uaf.c:9", None),
             ("ubsan.txt", "undefined behaviour", "uaf.c:10", None),
             ("race.txt", "data race", "uaf.c:6", "bump")]
    for name, kind, where, function in cases:
        got = sanreport.explain((SAMPLES / name).read_text(), learner)
        check(got is not None and (got["kind"], got["where"], got["function"]) == (kind, where, function),
              f"{name}: {kind} at {where}", got)
    got = sanreport.explain((SAMPLES / "leak.txt").read_text(), lambda p: False)
    check(got and got["kind"] == "memory leak" and got["where"] is None,
          "a report with no frame in the learner's files still says what it is", got)
    clean = "[==========] Running 1 test(s).\n[ RUN      ] test_a\n[       OK ] test_a\n"
    check(sanreport.explain(clean, learner) is None, "no report: None")
    got = sanreport.explain((SAMPLES / "leak.txt").read_text(), learner)
    check(got and all("libcmocka" not in ln for ln in got["excerpt"][:3]) and len(got["excerpt"]) <= 12,
          "the excerpt is short and starts with the report", got and got["excerpt"])
    return summary()


if __name__ == "__main__":
    sys.exit(main())
