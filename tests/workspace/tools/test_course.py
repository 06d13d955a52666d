#!/usr/bin/env python3
"""test_course.py: tools/course/course.py's own tests, and mk/step.mk's flags stamp.

Fed canned cmocka output and canned reports, never a real step's build, so
the whole file runs in a few seconds:

  1. reading cmocka's output: the lesson pointer is the line that starts with
     "see docs/"; a message line that quotes "see docs/..." stays;
  2. the verdicts: the command to run again is the one the learner ran
     (make step2, make memcheck STEP=3, make solution STEP=2), the reference
     solution is named as such, valgrind's count is in the right number, a
     skipped test counts as done, links follow the learner's language;
  3. make report: results.json and junit.xml count alike (a skip is done,
     <skipped/> in JUnit), the closing line points at a real section;
  4. make class-report: the class table from canned reports, and clear
     messages for a missing folder or one without reports;
  5. mk/step.mk on a tiny step of its own: a change of flags (WERROR=1) or a
     moved workspace rebuilds, nothing else does; RERUN names the command;
  6. tests/common/lesson.h names only tools that exist;
  7. make test's closing "Why:" excerpt of a failed log;
  8. tools/course/coursekit: a docstring with its job in every module, no import
     cycle, course.py only the command line, no copies of the colour helpers;
  9. nothing silent: in a copy of the workspace, a makefile fragment that is
     renamed, or no longer defines its target, fails make test naming it.

  python3 tests/workspace/tools/test_course.py

Ends with "N passed, M failed"; exits non-zero on a failure.
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tally import check, summary  # noqa: E402
sys.path[:0] = [str(Path(__file__).resolve().parents[3] / "tools" / d) for d in ("course", "checks")]

from coursekit import build, cmocka, commands, report, runner, steps, term, verdict  # noqa: E402

term.COLOR = False  # compare plain text, whatever the terminal



def output_of(fn, *args, **kwargs):
    """What fn prints, and what it returns."""
    buf = io.StringIO()
    with redirect_stdout(buf):
        ret = fn(*args, **kwargs)
    return buf.getvalue(), ret


class Locale:
    """Sets the locale variables course.py reads, and puts them back."""
    NAMES = ("LESSON_LANG", "LC_ALL", "LC_MESSAGES", "LANG")

    def __init__(self, **env):
        self.env = env

    def __enter__(self):
        self.saved = {k: os.environ.get(k) for k in self.NAMES}
        for k in self.NAMES:
            os.environ.pop(k, None)
        os.environ.update(self.env)

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# --------------------------------------------------------------------------
# 1. Reading cmocka's output

# Step 4's test_python on the starter, as the suite prints it (stdout and
# stderr through one pipe, CMOCKA_MESSAGE_OUTPUT=stdout).
PYTHON_SUITE = """\
[==========] Running 2 test(s).
[ RUN      ] test_python_calls_my_service
the Python client (exit status 5) said:
FAIL #unarycall: UnaryCall(test-123) status: wanted ('OK', ''), got ('UNIMPLEMENTED', 'step 4: implement UnaryCall — see docs/en/steps/04-server.md#unarycall')
FAIL #serverstream: ServerStream(py, 3) status: wanted ('OK', ''), got ('UNIMPLEMENTED', 'step 4: implement ServerStream — see docs/en/steps/04-server.md#serverstream')

    see docs/en/steps/04-server.md#unarycall
[  ERROR   ] --- [   LINE   ] --- /work/main/tests/04-server/test_python.c:80: error: Failure!
[  FAILED  ] test_python_calls_my_service
[ RUN      ] test_python_calls_the_other_services
Python's grpcio is not installed
[  SKIPPED ] test_python_calls_the_other_services
[==========] 2 test(s) run.
[  PASSED  ] 0 test(s).
"""

# tests/04-server/fixture.h's status check: the stub's own message quotes a
# lesson link, then lesson.h prints the pointer.
STATUS_CHECK = """\
[ RUN      ] test_network_unary_call
st: expected status OK, got UNIMPLEMENTED
    with the message "step 4: implement UnaryCall — see docs/en/steps/04-server.md#unarycall"

    see docs/en/steps/04-server.md#unarycall
[  ERROR   ] --- [   LINE   ] --- tests/04-server/test_network.c:41: error: Failure!
[  FAILED  ] test_network_unary_call
[ RUN      ] test_network_passes
[       OK ] test_network_passes
"""


def test_parsing():
    print("reading cmocka's output")
    tests = cmocka.parse_cmocka(PYTHON_SUITE)
    check([(t["name"], t["status"]) for t in tests] ==
          [("test_python_calls_my_service", "fail"), ("test_python_calls_the_other_services", "skip")],
          "parse_cmocka finds a failed and a skipped test", tests)
    msg, see = cmocka.summarise_failure(tests[0]["lines"])
    check("the Python client (exit status 5) said:" in msg
          and "FAIL #unarycall: UnaryCall(test-123) status: wanted ('OK', '')" in msg
          and "FAIL #serverstream: ServerStream(py, 3)" in msg,
          "lines that quote 'see docs/...' stay in the message (test_python_calls_my_service)", msg)
    check(see == "docs/en/steps/04-server.md#unarycall",
          "the pointer is the line that starts with 'see docs/'", see)
    check("    see docs/" not in msg and "Failure!" not in msg,
          "the pointer line and cmocka's location line are not part of the message", msg)

    tests = cmocka.parse_cmocka(STATUS_CHECK)
    msg, see = cmocka.summarise_failure(tests[0]["lines"])
    check(msg.splitlines() == ["st: expected status OK, got UNIMPLEMENTED",
                               '    with the message "step 4: implement UnaryCall — see '
                               'docs/en/steps/04-server.md#unarycall"'],
          "a status check keeps its 'with the message ...' line", msg)
    check(see == "docs/en/steps/04-server.md#unarycall" and tests[1]["status"] == "pass",
          "... and its pointer; the next test passes", (see, tests[1]))

    lines = ["value: expected 3, got 4 (see docs/en/steps/01-design.md#capacity-arithmetic)."]
    msg, see = cmocka.summarise_failure(lines)
    check(msg == lines[0] and see == "docs/en/steps/01-design.md#capacity-arithmetic",
          "without a pointer line, a link inside the message is the pointer and the line stays",
          (msg, see))

    lines = ["    see docs/en/steps/01-design.md",
             "[  ERROR   ] --- [   LINE   ] --- tests/01-design/test_x.c:9: error: Failure!"]
    msg, see = cmocka.summarise_failure(lines)
    check(see == "docs/en/steps/01-design.md" and msg == "tests/01-design/test_x.c:9: error: Failure!",
          "a failure with no message of its own shows where it failed", (msg, see))


# --------------------------------------------------------------------------
# 2. Verdicts


def result_of(step, mode="starter", valgrind=False, suites=()):
    r = {"step": step, "mode": mode, "valgrind": valgrind, "build": "ok", "suites": list(suites)}
    return runner.count(r)


FAILING_SUITE = {"name": "my_service", "problem": None, "tests": [
    {"name": "test_my_service_package", "status": "fail",
     "message": "package: expected \"tutorial.v1\", got \"\"",
     "see": "docs/en/steps/02-schema.md#the-package"},
    {"name": "test_my_service_given", "status": "pass"}]}


def test_verdicts():
    print("the verdicts")
    first = steps.all_steps()[0]
    second = steps.all_steps()[1]
    third = steps.all_steps()[2]
    n2, n3 = steps.step_num(second), steps.step_num(third)

    out, _ = output_of(verdict.print_verdict, result_of(second, suites=[FAILING_SUITE]))
    check(f"then run make step{n2} again." in out and "read: docs/en/steps/02-schema.md#the-package" in out,
          f"starter: 'run make step{n2} again' and the lesson section", out)
    out, _ = output_of(verdict.print_verdict, result_of(second, suites=[FAILING_SUITE]), again="make test")
    check("then run make test again." in out and f"make step{n2} again" not in out,
          "make test in the step's folder: 'run make test again' (mk/step.mk passes --again)", out)

    leak = {"name": "glue", "tests": [{"name": "test_glue_ok", "status": "pass"}],
            "problem": "valgrind found 1 memory error or leak (log: build/x.log)"}
    out, _ = output_of(verdict.print_verdict, result_of(third, valgrind=True, suites=[leak]))
    check(f"make memcheck STEP={n3} again" in out and f"make step{n3}" not in out,
          f"memcheck with a leak: 'run make memcheck STEP={n3} again', not make step{n3}", out)
    check("valgrind found 1 memory error or leak" in out and "under valgrind" in out,
          "memcheck: the suite line carries valgrind's finding", out)

    out, _ = output_of(verdict.print_verdict, result_of(third, valgrind=True, suites=[FAILING_SUITE]))
    check(f"then run make memcheck STEP={n3} again." in out,
          "memcheck with a failing test: the same command again", out)

    out, _ = output_of(verdict.print_verdict, result_of(second, mode="solution", suites=[FAILING_SUITE]))
    check("(reference solution)" in out and f"make solution STEP={n2} again" in out
          and "make doctor" in out and "make hint" not in out,
          "a failing reference solution: named as such, no hint, make doctor", out)

    skipped = {"name": "python", "problem": None, "tests": [
        {"name": "test_python_a", "status": "pass"}, {"name": "test_python_b", "status": "skip"}]}
    r = result_of(first, suites=[skipped])
    out, _ = output_of(verdict.print_verdict, r)
    row = next((ln for ln in out.splitlines() if "python" in ln), "")
    check(r["ok"] and "2/2" in row and "✓" in row and "2 of 2 tests pass" in out,
          "a skipped test counts as done, in the head line and in its suite's row", out)

    with Locale(LANG="ko_KR.UTF-8"):
        out, _ = output_of(verdict.print_verdict, result_of(second, suites=[FAILING_SUITE]))
    check("read: docs/ko/steps/02-schema.md#the-package" in out and "the lesson is docs/ko/steps/" in out,
          "LANG=ko_KR.UTF-8: the verdict's links point at docs/ko/", out)

    print("compile failures")
    err_out = f"{ROOT}/steps/02-schema/wire.c:12:5: error: expected ';' before 'return'\nmake: *** Error 1\n"
    out, _ = output_of(verdict.print_build_failure, second, "solution", False, err_out)
    check("(reference solution): the code does not compile." in out
          and f"make solution STEP={n2} again" in out
          and "first error: steps/02-schema/wire.c:12:5: error" in out,
          "make solution: the verdict names the reference solution, its command, the error's file "
          "as the learner types it", out)
    out, _ = output_of(verdict.print_build_failure, second, "starter", False, err_out)
    check("the code does not compile yet." in out and f"then run make step{n2} again." in out
          and "(reference solution)" not in out, "make stepN: the learner's own command", out)
    out, _ = output_of(verdict.print_build_failure, third, "starter", True, err_out)
    check(f"then run make memcheck STEP={n3} again." in out, "make memcheck: its own command", out)
    protoc_out = ("  PROTOC  steps/02-schema/use_cases.proto\n"
                  "use_cases.proto:3:1: warning: Import google/protobuf/empty.proto is unused.\n"
                  "use_cases.proto:65:38: Field number 1 has already been used in \"tutorial.v1.Bad\" by field \"a\".\n"
                  "\n  protoc could not compile steps/02-schema/use_cases.proto: fix the error above in that file,\n"
                  f"  then run make step{n2} again. Lesson: docs/en/steps/02-schema.md\n"
                  "make: *** [tests/02-schema/step.mk:38: use_cases.desc] Error 1\n")
    err = build.first_compile_error(protoc_out)
    check(err is not None and err.startswith("use_cases.proto:65:38: Field number 1"),
          "protoc's own message is the first error (not its warning, not the hint after it)", err)

    print("the command that runs a step again")
    check([verdict.rerun_command(second), verdict.rerun_command(second, "solution"),
           verdict.rerun_command(third, "starter", True), verdict.rerun_command(third, "solution", True)]
          == [f"make step{n2}", f"make solution STEP={n2}", f"make memcheck STEP={n3}",
              f"make memcheck STEP={n3} SOLUTION=1"], "rerun_command for every way of running a step")
    cmd = build.build_command(second, "solution", extra=["WERROR=1"], rerun=f"make solution STEP={n2}")
    check(f"RERUN=make solution STEP={n2}" in cmd and "SOLUTION=1" in cmd and cmd[-1] == "WERROR=1",
          "the build is told which command the learner ran (RERUN=...)", cmd)

    print("valgrind's count")
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "valgrind-test_glue.log"
        texts = {}
        for n in (1, 3):
            log.write_text(f"==1== HEAP SUMMARY:\n==1== ERROR SUMMARY: {n} errors from {n} contexts\n")
            texts[n] = cmocka.valgrind_problem(log)
        missing = cmocka.valgrind_problem(Path(tmp) / "none.log")
    check(texts[1].startswith("valgrind found 1 memory error or leak (log: "),
          "one error: 'valgrind found 1 memory error or leak'", texts[1])
    check(texts[3].startswith("valgrind found 3 memory errors or leaks (log: "),
          "three: 'valgrind found 3 memory errors or leaks'", texts[3])
    check(missing.startswith("valgrind found memory errors or leaks"), "no log: no number", missing)
    inside = cmocka.valgrind_problem(ROOT / "build" / "steps" / "x" / "valgrind-test_x.log")
    check("(log: build/steps/x/valgrind-test_x.log)" in inside,
          "a log inside the workspace is shown relative to it", inside)


# --------------------------------------------------------------------------
# 3. make report


def canned_rows():
    """gather()'s rows for three steps: one done with a skip, one with a
    failure and a suite that did not run, one that does not compile."""
    done = {"step": "01-design", "mode": "starter", "valgrind": False, "build": "ok", "suites": [
        {"name": "choose_kind", "problem": None, "tests": [
            {"name": "test_choose_kind_unary", "status": "pass"},
            {"name": "test_choose_kind_bidi", "status": "pass"}]},
        {"name": "python", "problem": None, "tests": [
            {"name": "test_python_calls", "status": "skip", "message": "grpcio is not installed"}]}]}
    failing = {"step": "02-schema", "mode": "starter", "valgrind": False, "build": "ok", "suites": [
        {"name": "wire", "problem": None, "tests": [
            {"name": "test_wire_varint", "status": "pass"},
            {"name": "test_wire_minus_one", "status": "fail",
             "message": "encode(-1): expected 10 bytes, got 5 <&>\nsecond line",
             "see": "docs/en/steps/02-schema.md#varints"},
            {"name": "test_wire_skip", "status": "skip"}]},
        {"name": "evolution", "problem": "exited with status 1 before running any test:\ncannot open x",
         "tests": []}]}
    broken = {"step": "03-codegen", "mode": "starter", "valgrind": False, "build": "failed", "suites": [],
              "build_error": "steps/03-codegen/glue.c:3:1: error: expected ';'"}
    return [runner.count(r) for r in (done, failing, broken)]


def test_report():
    print("make report")
    rows = canned_rows()
    with tempfile.TemporaryDirectory() as tmp:
        json_file, xml_file = report.write_report(rows, "ana <kim>", Path(tmp) / "report")
        results = json.loads(json_file.read_text())
        try:
            tree = ET.parse(xml_file)
        except ET.ParseError as e:
            check(False, "junit.xml is well-formed XML", e)
            return
    check(True, "junit.xml is well-formed XML (names and messages escaped)")
    suites = {s.get("name"): s for s in tree.getroot().iter("testsuite")}
    disagree = []
    for st in results["steps"]:
        x = suites[st["step"]]
        tests, fails, errors, skips = (int(x.get(k)) for k in ("tests", "failures", "errors", "skipped"))
        if len(x.findall("testcase")) != tests:
            disagree.append(f"{st['step']}: tests={tests} but {len(x.findall('testcase'))} testcases")
        if st["passed"] != tests - fails - errors:
            disagree.append(f"{st['step']}: results.json passed {st['passed']}, junit.xml "
                            f"{tests} tests - {fails} failures - {errors} errors")
        if st["done"] != (fails == 0 and errors == 0):
            disagree.append(f"{st['step']}: done={st['done']} but {fails} failures, {errors} errors")
    check(not disagree, "results.json and junit.xml agree on every step (passed, done)", "\n".join(disagree))
    d1 = suites["01-design"]
    skip_case = next(c for c in d1.iter("testcase") if c.get("name") == "test_python_calls")
    check(d1.get("skipped") == "1" and d1.get("failures") == "0" and skip_case.find("skipped") is not None
          and skip_case.find("failure") is None
          and skip_case.find("skipped").get("message") == "grpcio is not installed",
          "a skipped test is <skipped/> with its reason, not a failure", ET.tostring(d1, encoding="unicode"))
    check(results["steps"][0]["done"] and results["steps"][0]["passed"] == 3,
          "... and done in results.json (3 of 3)", results["steps"][0])
    d2 = suites["02-schema"]
    fail_case = next(c for c in d2.iter("testcase") if c.get("name") == "test_wire_minus_one")
    failure = fail_case.find("failure")
    check(failure is not None and failure.get("message") == "encode(-1): expected 10 bytes, got 5 <&>"
          and "docs/en/steps/02-schema.md#varints" in failure.text,
          "a failure carries its message and lesson section", ET.tostring(fail_case, encoding="unicode"))
    err_case = [c for c in d2.iter("testcase") if c.find("error") is not None]
    check(len(err_case) == 1 and err_case[0].get("name") == "evolution"
          and results["steps"][1]["problems"] == ["evolution: exited with status 1 before running any test:"
                                                 "\ncannot open x"],
          "a suite that did not run is an <error> in junit.xml and a problem in results.json",
          ET.tostring(d2, encoding="unicode"))
    d3 = suites["03-codegen"]
    check(d3.get("failures") == "1" and "expected ';'" in d3.find("testcase/failure").text
          and results["steps"][2]["build"] == "failed",
          "a step that does not compile is one failure with the compiler's message")
    check(tree.getroot().get("name") == "grpc-c course: ana <kim>", "the learner's name, escaped")

    # The command itself, with gather() replaced by the canned rows.
    saved = commands.gather, commands.BUILD
    with tempfile.TemporaryDirectory() as tmp:
        commands.gather = lambda quiet=True: canned_rows()
        commands.BUILD = Path(tmp)
        try:
            with Locale(LANG="C"):
                out, rc = output_of(commands.cmd_report, [])
        finally:
            commands.gather, commands.BUILD = saved
        wrote = (Path(tmp) / "report" / "results.json").exists() and (Path(tmp) / "report" / "junit.xml").exists()
    check(rc == 0 and wrote and "1/3 steps done" in out, "make report writes both files and counts done steps", out)
    link = re.search(r"(docs/en/teacher-guide\.md)#([\w-]+)", out)
    check(link is not None and "README" not in out, "its closing line points at the teacher's guide", out)
    if link:
        from contract import anchors_of  # tools/checks/contract.py: MkDocs' heading ids
        page = ROOT / link.group(1)
        check(page.exists() and link.group(2) in anchors_of(page),
              f"... at a section that exists (#{link.group(2)})", sorted(anchors_of(page)) if page.exists() else page)


# --------------------------------------------------------------------------
# 4. make class-report


def report_file(folder, name, learner, generated, rows):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps({"learner": learner, "generated": generated, "steps": rows}))


def st(step, passed, total, done, build="ok", failing=None):
    tests = [{"suite": "s", "name": f"test_ok_{i}", "status": "pass"} for i in range(passed)]
    if failing:
        tests.append({"suite": "s", "name": failing, "status": "fail", "message": "m"})
    return {"step": step, "build": build, "passed": passed, "total": total, "done": done, "tests": tests}


def test_class_report():
    print("make class-report")
    with tempfile.TemporaryDirectory() as tmp:
        reports = Path(tmp) / "reports"
        report_file(reports, "ben-ito.json", "ben-ito", "2026-11-25T19:20:41",
                    [st("01-design", 36, 36, True), st("02-schema", 37, 37, True)])
        report_file(reports, "ana-kim.json", "ana-kim", "2026-11-25T19:16:08",
                    [st("01-design", 36, 36, True), st("02-schema", 1, 37, False, failing="test_my_service_package"),
                     st("03-codegen", 0, 0, False, build="failed")])
        # Two learners who ran make report without LEARNER=, in folders of their own.
        report_file(reports / "pc1", "results.json", "learner", "2026-11-25T18:02:00", [st("01-design", 3, 36, False)])
        report_file(reports / "pc2", "results.json", "learner", "2026-11-25T18:05:00", [st("01-design", 36, 36, True)])
        (reports / "broken.json").write_text("{not json")
        (reports / "notes.json").write_text('{"learner": "x"}')
        (reports / "junit.xml").write_text("<testsuites/>")

        out, rc = output_of(commands.cmd_class_report, [str(reports)])
        lines = out.splitlines()
        rows = {ln.split()[0]: ln for ln in lines if ln.split() and ln.split()[0] in ("ana-kim", "ben-ito")}
        head = next((ln for ln in lines if ln.startswith("learner")), "")
        check(rc == 0 and head.split()[:4] == ["learner", "01", "02", "03"] and "last run" in head,
              "one column per step (the union of all reports), and the last run", out)
        check(list(rows) == ["ana-kim", "ben-ito"] and lines.index(rows["ana-kim"]) < lines.index(rows["ben-ito"]),
              "a row per learner, sorted by name", out)
        ana = rows.get("ana-kim", "")
        check(ana.split()[1:4] == ["36/36*", "1/37", "—"] and "2026-11-25 19:16" in ana
              and ana.endswith("02: test_my_service_package"),
              "ana-kim: done, 1/37, does not compile; last run; stuck at her first failing test", ana)
        ben = rows.get("ben-ito", "")
        check(ben.split()[1:4] == ["36/36*", "37/37*", "·"] and ben.endswith("all done"),
              "ben-ito: a step missing from his report shows as ·; all his steps are done", ben)
        dup = [ln for ln in lines if ln.startswith("learner (")]
        check(len(dup) == 2 and "learner (pc1/results.json)" in dup[0] and "learner (pc2/results.json)" in dup[1],
              "two reports with the same login name are told apart by their file", out)
        done = next((ln for ln in lines if ln.startswith("done")), "")
        check(done.split()[1:4] == ["3/4", "1/4", "0/4"], "a last row counts who finished each step", done)
        check("skipped " in out and "broken.json: not valid JSON" in out
              and "notes.json: not a file of make report" in out and "junit.xml" not in out,
              "JSON files that are not reports are named and skipped; other files are ignored", out)
        check("4 report(s)" in out, "it says how many reports it read", out)

        # A report written by make report itself reads back.
        real = Path(tmp) / "real"
        json_file, _ = report.write_report(canned_rows(), "cleo", real)
        out, rc = output_of(commands.cmd_class_report, [str(real)])
        cleo = next((ln for ln in out.splitlines() if ln.startswith("cleo")), "")
        check(rc == 0 and cleo.split()[1:4] == ["3/3*", "2/3", "—"] and cleo.endswith("02: test_wire_minus_one"),
              "a results.json from make report reads back (skips count as done)", out)

        empty = Path(tmp) / "empty"
        empty.mkdir()
        out, rc = output_of(commands.cmd_class_report, [str(empty)])
        check(rc == 1 and "No reports in" in out and "make report" in out and "results.json" in out,
              "a folder with no reports: says how learners put theirs there", out)

    for args, want, label in (([], "make class-report DIR=", "no DIR: says how to give it"),
                              ([str(ROOT / "no-such-folder")], "There is no folder", "a missing folder")):
        try:
            out, rc = output_of(commands.cmd_class_report, args)
            check(False, label, f"no error; printed {out!r}")
        except steps.UsageError as e:
            check(want in str(e), label, str(e))


# --------------------------------------------------------------------------
# 5. mk/step.mk on a step of its own

FAKE_LIB = "int answer(void) { return 42; }\n"
FAKE_TEST = """\
#include <stdio.h>
int answer(void);
int main(void) { printf("%s %d\\n", ROOT_DIR, answer()); return 0; }
"""
FAKE_STEP_MK = """\
show-rerun:
\t@echo 'RERUN=$(RERUN)'
"""


def make(root, *args):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL", "STEP", "SOLUTION", "WERROR")}
    p = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(root / "steps" / "99-fake"), *args],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    return p.returncode, p.stdout


def mtimes(bdir):
    return {p.name: p.stat().st_mtime_ns for p in bdir.rglob("*") if p.is_file() and p.suffix in (".o", "")}


def test_step_mk():
    print("mk/step.mk: the flags stamp and RERUN")
    if shutil.which("make") is None or shutil.which("cc") is None:
        check(True, "skipped: no make or cc here (make setup)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        (old / "mk").mkdir(parents=True)
        shutil.copy(ROOT / "mk" / "step.mk", old / "mk" / "step.mk")
        (old / "tests" / "common").mkdir(parents=True)
        shutil.copy(ROOT / "tests" / "common" / "sanitize.c", old / "tests" / "common" / "sanitize.c")
        for d, files in (("steps/99-fake", {"Makefile": "STEP := 99-fake\ninclude ../../mk/step.mk\n",
                                              "lib.c": FAKE_LIB}),
                         ("solutions/99-fake", {"lib.c": FAKE_LIB}),
                         ("tests/99-fake", {"test_fake.c": FAKE_TEST, "step.mk": FAKE_STEP_MK})):
            (old / d).mkdir(parents=True)
            for name, text in files.items():
                (old / d / name).write_text(text)
        bdir = old / "build" / "steps" / "99-fake" / "starter"
        rc, out = make(old, "build")
        stamp = bdir / "flags"
        if not check(rc == 0 and stamp.exists(), "a build writes the flags stamp", out):
            return
        flags = stamp.read_text()
        check(f"-DROOT_DIR='\"{old}\"'" in flags and "-Wall" in flags and "-Werror" not in flags,
              "the stamp holds the compile flags, ROOT_DIR included", flags)
        before = mtimes(bdir)
        time.sleep(0.02)  # let a rewrite show in the mtimes
        rc, out = make(old, "build")
        check(rc == 0 and mtimes(bdir) == before and stamp.stat().st_mtime_ns == before["flags"],
              "the same flags again: nothing is rebuilt, the stamp is left alone", out)

        rc, out = make(old, "build", "WERROR=1")
        after = mtimes(bdir)
        check(rc == 0 and "-Werror" in stamp.read_text()
              and all(after[n] > before[n] for n in ("lib.o", "test_fake.o", "test_fake")),
              "WERROR=1 after a normal build compiles and links everything again", out)

        new = Path(tmp) / "new"
        old.rename(new)
        binary = new / "build" / "steps" / "99-fake" / "starter" / "test_fake"
        ran = subprocess.run([str(binary)], stdout=subprocess.PIPE, text=True).stdout.strip()
        check(ran == f"{old} 42", "(a moved workspace's test program still names the old folder)", ran)
        rc, out = make(new, "build", "WERROR=1")
        ran = subprocess.run([str(binary)], stdout=subprocess.PIPE, text=True).stdout.strip()
        check(rc == 0 and ran == f"{new} 42",
              "after the workspace moved, make rebuilds: the test program names the new folder", (out, ran))

        outs = [make(new, "show-rerun", *extra)[1].strip() for extra in
                ((), ("SOLUTION=1",), ("MAKECMDGOALS=memcheck",), ("MAKECMDGOALS=memcheck", "SOLUTION=1"),
                 ("RERUN=make step99",))]
        check(outs == ["RERUN=make test", "RERUN=make solution", "RERUN=make memcheck",
                       "RERUN=make memcheck SOLUTION=1", "RERUN=make step99"],
              "RERUN: what was typed in the step folder, or the command course.py passes", outs)


# --------------------------------------------------------------------------
# 6. Comments that name the tooling


def test_named_tools():
    print("files that name the tooling")
    header = (ROOT / "tests" / "common" / "lesson.h").read_text()
    named = set(re.findall(r"tools/[\w./-]+\.py", header))
    missing = sorted(n for n in named if not (ROOT / n).exists())
    check(named and not missing, "tests/common/lesson.h names only tools that exist "
          f"({', '.join(sorted(named))})", "missing: " + ", ".join(missing))


# --------------------------------------------------------------------------
# 7. make test's closing summary: why a component failed, at the end


def test_failure_excerpt():
    print("make test's closing 'Why:' excerpt")
    from contract import excerpt  # tools/checks/contract.py
    filler = [f"  test_ok_{i}   OK" for i in range(200)]
    log = "\n".join(["runtime tests (tsan)", "  test_streams   17 passed, 1 failed  18s",
                     "    | [ RUN      ] test_stream_x", "    | [  FAILED  ] test_stream_x"]
                    + filler + ["    ! WARNING: ThreadSanitizer: data race (pid=1)", "    !   Write of size 8",
                                "17 passed, 1 failed"])
    got = excerpt(log)
    check(any("[  FAILED  ] test_stream_x" in ln for ln in got)
          and any("ThreadSanitizer: data race" in ln for ln in got)
          and "17 passed, 1 failed" in got and len(got) < 30 and "..." in got,
          "it keeps the failed test, the sanitizer's report and the totals, not the 200 lines between", got)
    plain = "\n".join(f"line {i}" for i in range(100))
    check(excerpt(plain) == [f"line {i}" for i in range(70, 100)],
          "with nothing it recognises, it keeps the log's last 30 lines", excerpt(plain))


# --------------------------------------------------------------------------
# 8. The package behind course.py


def test_package():
    print("tools/course/coursekit: one job per module, no import cycle, course.py thin")
    import ast
    kit = ROOT / "tools" / "course" / "coursekit"
    modules = sorted(p.stem for p in kit.glob("*.py") if p.stem != "__init__")
    deps, undocumented = {}, []
    for m in modules:
        tree = ast.parse((kit / f"{m}.py").read_text())
        doc = ast.get_docstring(tree) or ""
        if not doc.startswith(f"coursekit.{m}: "):
            undocumented.append(m)
        deps[m] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps[m].update([node.module] if node.module else [a.name for a in node.names])
    check(not undocumented, "every module's docstring says its job ('coursekit.NAME: ...')",
          ", ".join(undocumented))
    cycles = []

    def visit(m, path):
        for d in sorted(deps.get(m, ())):
            if d in path:
                cycles.append(" -> ".join(path[path.index(d):] + [d]))
            elif not cycles:
                visit(d, path + [d])
    for m in modules:
        visit(m, [m])
    check(not cycles, f"no import cycle among its {len(modules)} modules", "\n".join(cycles[:5]))
    listed = re.findall(r"^  (\w+) ", ast.get_docstring(ast.parse((kit / "__init__.py").read_text())), re.M)
    check(sorted(listed) == modules, "__init__.py lists every module and its job", (listed, modules))

    front = ast.parse((ROOT / "tools" / "course" / "course.py").read_text())
    defs = [n.name for n in front.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    front.body = front.body[1:] if ast.get_docstring(front) else front.body  # the usage text
    code = [ln for ln in ast.unparse(front).splitlines() if ln.strip()]
    check(defs == ["main"] and len(code) < 25,
          f"tools/course/course.py is the command line only (main(), {len(code)} lines of code)", defs)
    copies = [str(p.relative_to(ROOT)) for d in ("tools", "tests") for p in sorted((ROOT / d).rglob("*.py"))
              if p != kit / "term.py" and re.search(r"^def (paint|bold|red|green)\(", p.read_text(), re.M)]
    check(not copies, "no tool keeps its own copy of the colour helpers (coursekit.term)", ", ".join(copies))


# --------------------------------------------------------------------------
# 9. Nothing silent: a missing or renamed makefile fragment is an error


def copy_workspace(dest):
    """The workspace's files (tracked, and new ones git does not ignore) copied
    to dest, without build/: what make reads. False when git is not there."""
    if shutil.which("git") is None:
        return False
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if listed.returncode != 0:
        return False
    for rel in sorted(set(listed.stdout.decode().split("\0")) - {""}):
        src = ROOT / rel
        if src.is_file() and not src.is_symlink():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return True


def test_missing_fragment():
    print("a missing or renamed makefile fragment fails make test, naming the file")
    import contract  # tools/checks/contract.py
    if shutil.which("make") is None:
        check(True, "skipped: no make here (make setup)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        if not copy_workspace(ws):
            check(True, "skipped: the workspace is not a git checkout")
            return
        comps, error = contract.components(ws)
        problems = [f"{name}: {problem}" for name, _, problem in comps if problem]
        check(error is None and not problems and len(comps) == len(contract.COMPONENTS),
              f"every one of make test's {len(comps)} suites has its makefile, which defines its target",
              error or "\n".join(problems))

        demo = ws / "mk" / "demo.mk"
        kept = demo.read_text()
        demo.write_text("# emptied by test_course.py: it defines no target\n")
        comps, error = contract.components(ws)
        problems = {name: problem for name, _, problem in comps if problem}
        check(error is None and list(problems.values()) == ["mk/demo.mk does not define make test-demo "
                                                            "(or the Makefile does not include it)"],
              "a fragment that no longer defines its target: that suite fails, naming the file and target",
              error or problems)
        demo.write_text(kept)

        faults = ws / "mk" / "faults.mk"
        faults.rename(faults.with_name("faults.mk.renamed"))
        tally = contract.Tally()
        out, _ = output_of(contract.run_components, tally, ws)
        missing = [label for label in tally.failures if "mk/faults.mk is missing" in label]
        n = sum(1 for _, _, mk in contract.COMPONENTS if mk == "mk/faults.mk")
        check(n >= 1 and len(missing) == n and tally.passed == 0 and "make reads the Makefile" in tally.failures[0]
              and "mk/faults.mk: No such file or directory" in out
              and tally.failures[-1] == f"{len(comps) - n} other suites not run: make cannot read the Makefile",
              f"a renamed fragment: make test fails each of its {n} suites naming the file, and runs no other", out)
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL")}
        p = subprocess.run(["make", "-n", "test"], cwd=str(ws), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        check(p.returncode != 0 and "mk/faults.mk: No such file or directory" in p.stdout,
              "make -n test with the fragment missing is make's own error, naming the file", p.stdout)


# --------------------------------------------------------------------------
# 10. Sanitizer findings and a program's stderr in the verdict


def test_findings():
    print("the verdict: a program's stderr, a sanitizer's finding")
    step = steps.all_steps()[3]
    with tempfile.TemporaryDirectory() as tmp:
        err = Path(tmp) / "server-42.stderr"
        err.write_text("starting\n\nconfig: GRACE_PERIOD_SECONDS is not set, using 0\nstopped\n")
        text = ("[ RUN      ] test_drain_waits\n"
                f"[ PROGRAM  ] server stderr: {err}\n"
                "expected 0, got 1\n    see docs/en/steps/04-server.md#x\n"
                "[  FAILED  ] test_drain_waits\n")
        tests = cmocka.parse_cmocka(text)
        check(tests[0]["programs"] == [("server", str(err))] and
              all("PROGRAM" not in ln for ln in tests[0]["lines"]),
              "a [ PROGRAM  ] line is the test's program, not part of its message", tests)
        got = cmocka.program_stderr(tests[0]["programs"], lines=2)
        check(got == ("server", ["config: GRACE_PERIOD_SECONDS is not set, using 0"]),
              "program_stderr: the lines that say something is wrong, before the tail", got)
        err.write_text("starting\n\nlistening\nstopped\n")
        tail = cmocka.program_stderr(tests[0]["programs"], lines=2)
        check(tail == ("server", ["listening", "stopped"]),
              "program_stderr: otherwise its last lines that are not blank", tail)
        err.write_text("starting\nconfig: GRACE_PERIOD_SECONDS is not set, using 0\nstopped\n")
        res = result_of(step, suites=[{"name": "drain", "tests": [
            {"name": "test_drain_waits", "status": "fail", "message": "expected 0, got 1",
             "stderr": {"program": "server", "lines": got[1]}}]}])
        out, _ = output_of(verdict.print_verdict, res)
        check("what server printed last on stderr:" in out and "GRACE_PERIOD_SECONDS is not set" in out,
              "the verdict shows what the program printed last on stderr", out)
    finding = {"kind": "memory leak", "meaning": "memory allocated here is never freed",
               "file": f"steps/{step}/user_service.c", "where": "user_service.c:35 (in get_user)",
               "line": "line 35 (in get_user)", "see": "docs/en/reference/memory.md#memory-ownership",
               "text": "memory leak: ..."}
    res = result_of(step, suites=[{"name": "user_service", "problem": "memory leak: ...",
                                   "sanitizer": finding, "tests": [{"name": "t", "status": "pass"}]}])
    out, _ = output_of(verdict.print_verdict, res)
    check(f"Next: edit steps/{step}/user_service.c, line 35 (in get_user)" in out
          and "1 of 1 tests pass, but the checker found a problem" in out
          and "memory.md#memory-ownership" in out,
          "a leak after passing tests: the verdict names the file, the line and the ownership section", out)


def main():
    t0 = time.monotonic()
    test_parsing()
    test_verdicts()
    test_report()
    test_class_report()
    test_step_mk()
    test_named_tools()
    test_failure_excerpt()
    test_package()
    test_missing_fragment()
    test_findings()
    print(f"({time.monotonic() - t0:.1f} s)")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
