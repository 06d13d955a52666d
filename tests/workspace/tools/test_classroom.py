#!/usr/bin/env python3
"""test_classroom.py: coursekit.classroom, the learner's side of the live
classroom, without a server: what a step result becomes on the board, when
it is queued (and when not), and the queue file class_client reads.
Last line: "N passed, M failed". Only the standard library is used."""

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(Path(__file__).resolve().parents[3] / "tools" / d) for d in ("course", "checks")]
from coursekit import classroom  # noqa: E402
from coursekit.term import green, red  # noqa: E402

passed = failed = 0


def check(cond, label, detail=""):
    global passed, failed
    passed, failed = passed + bool(cond), failed + (not cond)
    print(f"  {green('✓') if cond else red('✗')} {label}")
    if not cond and detail:
        print(f"      {detail}")


RESULT = {"step": "01-design", "mode": "starter", "valgrind": False, "build": "ok", "total": 36, "passed": 3,
          "problems": [], "suites": [
              {"name": "choose_kind", "tests": [
                  {"name": "test_choose_kind_none", "status": "pass"},
                  {"name": "test_choose_kind_unary", "status": "fail", "message": "expected UNARY",
                   "see": "docs/en/steps/01-design.md#choosing-the-rpc-kind"}]}]}


def test_fields():
    print("a step result as a report")
    f = classroom.report_fields(RESULT)
    check(f["step"] == "01-design" and f["passed"] == 3 and f["failed"] == 33 and f["build_failed"] == 0,
          "step, passed, failed (total - passed), built", f)
    check(f["first_failing"] == "choose_kind/test_choose_kind_unary"
          and f["section"] == "docs/en/steps/01-design.md#choosing-the-rpc-kind",
          "the first failing test as suite/test, and its lesson section", f)
    check(len(f["report_id"]) == 32 and f["report_id"] != classroom.report_fields(RESULT)["report_id"],
          "each report has an id of its own (32 hex digits)")
    check(abs(f["at"] - time.time()) < 5, "at: the time of the run, in Unix seconds")
    broken = dict(RESULT, build="failed", suites=[], total=0, passed=0,
                  build_error="glue.c:41: error: unknown type name 'MyRequest'\n" + "x" * 400)
    f = classroom.report_fields(broken)
    check(f["build_failed"] == 1 and f["build_error"].startswith("glue.c:41: error:")
          and len(f["build_error"].encode()) <= classroom.ERROR_MAX and "\n" not in f["build_error"],
          "a build failure: build_failed, its first error on one line, cut to the server's limit", f)
    cut = classroom.clip("가" * 100, 200)
    check(len(cut.encode()) <= 200 and cut == "가" * 66, "long text is cut on a UTF-8 character boundary",
          len(cut.encode()))


def test_queue():
    print("when a result is queued, and the queue file")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        saved = classroom.CONFIG, classroom.QUEUE, classroom.CLIENT, classroom.source
        classroom.CONFIG, classroom.QUEUE = tmp / "class.json", tmp / "queue"
        classroom.CLIENT = tmp / "no-client"
        try:
            classroom.source = "step"
            classroom.record(RESULT)
            check(not classroom.QUEUE.exists(), "not joined: nothing is queued")
            classroom.CONFIG.write_text(json.dumps({"class": "127.0.0.1:9", "code": "ABCD", "name": "Ana Kim"}))
            classroom.source = None
            classroom.record(RESULT)
            check(not classroom.QUEUE.exists(), "joined, but not a learner command (make test): nothing is queued")
            classroom.source = "check"
            classroom.record(dict(RESULT, mode="solution"))
            check(not classroom.QUEUE.exists(), "a run of the reference solution: nothing is queued")
            classroom.record(dict(RESULT, suites=[{"name": "s", "tests": [
                {"name": "t", "status": "fail", "see": "a\\b"}]}]))
            files = sorted(classroom.QUEUE.glob("*.rep"))
            lines = dict(ln.split("=", 1) for ln in files[0].read_text().splitlines()) if files else {}
            check(len(files) == 1 and lines.get("learner") == "Ana Kim" and lines.get("source") == "check"
                  and lines.get("section") == "a\\\\b",
                  "joined, make check: one KEY=VALUE file, backslashes doubled for class_client", lines)
            t0 = time.perf_counter()
            classroom.flush()
            check(time.perf_counter() - t0 < 0.05, "without the sender built, flush returns at once and "
                  "the result stays queued", len(list(classroom.QUEUE.glob("*.rep"))))
        finally:
            classroom.CONFIG, classroom.QUEUE, classroom.CLIENT, classroom.source = saved


def test_names():
    print("names make join refuses before sending anything")
    check(classroom.name_problem("Ana Kim") is None and classroom.name_problem("김민지") is None,
          "a name with spaces or in Korean is fine")
    check("at most 40 bytes" in (classroom.name_problem("가" * 14) or ""), "a name over 40 bytes (14 Hangul)")
    check("empty" in (classroom.name_problem("  ") or ""), "an empty name")
    check(classroom.name_problem("a\tb") is not None, "a name with a control character")


def main():
    test_fields()
    test_queue()
    test_names()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
