#!/usr/bin/env python3
"""course.py: the workspace's step tooling, behind the top-level Makefile.

  run STEP [--mode starter|solution] [--valgrind] [--again CMD]
                     run a built suite, print the verdict (CMD: what runs it again)
  step STEP          build and test the learner's step, print a verdict and what to do next
  check              progress table over every step
  report             results of every step as JSON and JUnit XML (for a teacher)
  class-report DIR   a table of the class from the reports collected in DIR
  hint STEP          the next hint for the first unsolved exercise of a step
  reset STEP         restore a step's starter files (a backup of your files is kept)
  watch STEP         re-run a step's tests on every save
  contract [STEP..]  the workspace's own check of the step contract (make test)
  help               the commands and the steps, with progress

STEP may be 1, 01, step1, 01-design or design. Only the standard library is used.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
RESULTS = BUILD / "results"
STATE = ROOT / ".progress"          # per-learner state (hints seen); not in git
SUITE_TIMEOUT = 120                 # seconds per suite binary
VALGRIND_TIMEOUT = 900

# --------------------------------------------------------------------------
# Presentation


def _color_on():
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


COLOR = _color_on()


def paint(text, code):
    return f"\033[{code}m{text}\033[0m" if COLOR else text


def bold(t):
    return paint(t, "1")


def green(t):
    return paint(t, "32")


def red(t):
    return paint(t, "31")


def yellow(t):
    return paint(t, "33")


def dim(t):
    return paint(t, "2")


def bar(done, total, width=12):
    if total <= 0:
        return " " * width
    full = round(width * done / total)
    return "█" * full + "░" * (width - full)


# --------------------------------------------------------------------------
# Steps


def all_steps():
    return sorted(p.name for p in (ROOT / "steps").glob("[0-9][0-9]-*") if p.is_dir())


class UsageError(Exception):
    pass


def resolve_step(arg):
    """Turns '1', '01', 'step1', '01-design' or 'design' into '01-design'."""
    steps = all_steps()
    raw = (arg or "").strip()
    key = raw.lower()
    if key.startswith("step"):
        key = key[4:]
    for s in steps:
        num, name = s.split("-", 1)
        if key in (s, name) or (key.isdigit() and int(key) == int(num)):
            return s
    listing = ", ".join(f"{int(s[:2])} ({s[3:]})" for s in steps)
    if not raw:
        raise UsageError(f"Which step? Give its number, e.g. 'make step1' or 'STEP=1'.\n"
                         f"The steps are: {listing}.")
    raise UsageError(f"There is no step '{raw}'. The steps are: {listing}.\n"
                     f"Try 'make step{int(steps[0][:2]) if steps else 1}' or 'make check'.")


def step_num(step):
    return int(step[:2])


def step_title(step):
    return f"Step {step_num(step)} · {step[3:]}"


def lesson_path(step):
    return f"docs/en/steps/{step}.md"


# Lessons in the learner's language: the tests and hints name docs/en/PAGE;
# what the learner reads points at docs/LANG/PAGE instead when the locale
# (LESSON_LANG, else LC_ALL, LC_MESSAGES, LANG: the first one set) names a
# language that has that page, e.g. LANG=ko_KR.UTF-8 -> docs/ko/.
LESSON_LINK = re.compile(r"docs/en/([\w./-]+?\.md)")


def lesson_lang():
    for var in ("LESSON_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            lang = re.split(r"[_.@-]", value, maxsplit=1)[0].lower()
            known = re.fullmatch(r"[a-z]{2,3}", lang) and (ROOT / "docs" / lang).is_dir()
            return lang if known else "en"
    return "en"


def localize(text):
    """Turns docs/en/PAGE links in text into the learner's language, page by page."""
    lang = lesson_lang()
    if lang == "en" or not text:
        return text
    return LESSON_LINK.sub(lambda m: f"docs/{lang}/{m.group(1)}"
                           if (ROOT / "docs" / lang / m.group(1)).is_file() else m.group(0), text)


def lesson_link(step):
    return localize(lesson_path(step))


def learner_files(step):
    sol = ROOT / "solutions" / step
    return sorted(p.name for p in sol.iterdir() if p.is_file()) if sol.is_dir() else []


def given_tests(step):
    f = ROOT / "tests" / step / "given.txt"
    if not f.exists():
        return set()
    return {ln.strip() for ln in f.read_text().splitlines() if ln.strip() and not ln.startswith("#")}


def suites_of(step):
    """A step's suites in lesson order: the order of the sections of its
    hints.md, then any others alphabetically."""
    found = sorted(p.stem[5:] for p in (ROOT / "tests" / step).glob("test_*.c"))
    order = list(parse_hints(step))
    return sorted(found, key=lambda s: (order.index(s) if s in order else len(order), s))


def build_dir(step, mode):
    return BUILD / "steps" / step / mode


# --------------------------------------------------------------------------
# Running suites and reading cmocka's output

RUN_RE = re.compile(r"^\[ RUN      \] (\S+)")
OK_RE = re.compile(r"^\[       OK \] (\S+)")
FAIL_RE = re.compile(r"^\[  FAILED  \] (\S+)\s*$")
SKIP_RE = re.compile(r"^\[  SKIPPED \] (\S+)")
# The lesson pointer that tests/common/lesson.h prints on a line of its own,
# "    see docs/en/steps/NN-name.md#anchor". Only such a line is the pointer:
# a message line may quote "see docs/..." too (a starter stub's status
# message, e.g. 'with the message "step 4: implement UnaryCall — see docs/…"')
# and is part of what the learner must read.
SEE_LINE_RE = re.compile(r"^\s*see (docs/\S+)\s*$")
SEE_ANY_RE = re.compile(r"\bsee (docs/[\w./-]+\.md(?:#[\w-]+)?)")


def parse_cmocka(text):
    """Returns [{name, status, lines}] from cmocka's standard output, in order."""
    tests, current = [], None
    for line in text.splitlines():
        m = RUN_RE.match(line)
        if m:
            current = {"name": m.group(1), "status": "running", "lines": []}
            tests.append(current)
            continue
        for rx, status in ((OK_RE, "pass"), (FAIL_RE, "fail"), (SKIP_RE, "skip")):
            m = rx.match(line)
            if m and current is not None and m.group(1) == current["name"] and current["status"] == "running":
                current["status"] = status
                current = None
                break
        else:
            if current is not None:
                current["lines"].append(line)
    return tests


def summarise_failure(lines):
    """Picks the learner-facing message and the lesson pointer out of a failed
    test's output: returns (message, see). Only a line that starts (after
    blanks) with "see docs/" is the pointer and is left out of the message;
    when a test printed no such line, the last "see docs/PAGE.md#anchor"
    inside a message line is the pointer, and that line stays."""
    see = None
    quoted = None
    msg = []
    for ln in lines:
        m = SEE_LINE_RE.match(ln)
        if m:
            see = m.group(1)
            continue
        for m in SEE_ANY_RE.finditer(ln):
            quoted = m.group(1)
        if ln.startswith("[  ERROR   ] --- ") or ln.startswith("[   LINE   ]"):
            loc = ln.split("--- ")[-1].strip()
            if loc and not msg:
                msg.append(loc)
            continue
        if ln.startswith("ERROR: "):
            ln = ln[7:]
        if ln.strip():
            msg.append(ln.rstrip())
    return "\n".join(msg[-8:]), see or quoted


def shown_path(path):
    """A path as the learner types it: relative to the workspace when inside it."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def valgrind_problem(vg_log):
    """The suite line for a run that valgrind failed, with the count from its log."""
    n = None
    try:
        m = re.search(r"ERROR SUMMARY: (\d+) errors?", Path(vg_log).read_text(errors="replace"))
        n = int(m.group(1)) if m else None
    except OSError:
        pass
    if n is None or n == 0:
        what = "memory errors or leaks"
    elif n == 1:
        what = "1 memory error or leak"
    else:
        what = f"{n} memory errors or leaks"
    return f"valgrind found {what} (log: {shown_path(vg_log)})"


def run_suite(binary, valgrind=False, log_dir=None):
    """Runs one cmocka binary; returns (tests, problem) where problem names a crash,
    a timeout or memory errors that no single test owns."""
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="stdout")
    env.pop("CMOCKA_XML_FILE", None)
    cmd = [str(binary)]
    vg_log = None
    if valgrind:
        vg_log = (log_dir or binary.parent) / f"valgrind-{binary.name}.log"
        cmd = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible",
               "--errors-for-leak-kinds=definite,indirect,possible", "--error-exitcode=99",
               f"--suppressions={ROOT / 'tools' / 'valgrind.supp'}", f"--log-file={vg_log}",
               "--track-fds=no"] + cmd
        if not (ROOT / "tools" / "valgrind.supp").exists():
            cmd = [c for c in cmd if not c.startswith("--suppressions")]
    timeout = VALGRIND_TIMEOUT if valgrind else SUITE_TIMEOUT
    problem = None
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                              timeout=timeout, cwd=str(ROOT))
        out = proc.stdout.decode("utf-8", "replace")
        rc = proc.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        rc = None
        problem = f"timed out after {timeout} s"
    except OSError as e:
        return [], f"could not run {binary.name}: {e}"
    tests = parse_cmocka(out)
    if rc is not None and rc < 0:
        problem = f"crashed with signal {-rc}"
    for t in tests:
        if t["status"] == "running":
            t["status"] = "fail"
            t["lines"].append(f"this test did not finish: the suite {problem or 'stopped'}")
    if valgrind and rc == 99:
        problem = valgrind_problem(vg_log)
    if not tests and problem is None and rc not in (0, None):
        problem = f"exited with status {rc} before running any test:\n" + "\n".join(out.splitlines()[-10:])
    return tests, problem


def run_step_suites(step, mode, valgrind=False, bdir=None):
    bdir = bdir or build_dir(step, mode)
    result = {"step": step, "mode": mode, "valgrind": valgrind, "build": "ok",
              "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "suites": []}
    suites = suites_of(step)
    runs = {}
    # Under valgrind a suite is slow and uses one core: run two at a time
    # (SUITE_JOBS=1 to run them one by one). Plain runs stay in order.
    jobs = max(1, int(os.environ.get("SUITE_JOBS", "0") or 0) or min(2, os.cpu_count() or 1))
    if valgrind and jobs > 1:
        from concurrent.futures import ThreadPoolExecutor

        def timed(binary):
            t0 = time.monotonic()
            tests, problem = run_suite(binary, valgrind, bdir)
            return tests, problem, time.monotonic() - t0
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {s: pool.submit(timed, bdir / f"test_{s}") for s in suites
                       if (bdir / f"test_{s}").exists()}
            runs = {s: f.result() for s, f in futures.items()}
    for suite in suites:
        binary = bdir / f"test_{suite}"
        entry = {"name": suite, "tests": [], "problem": None}
        if not binary.exists():
            entry["problem"] = f"{binary.name} was not built"
        else:
            t0 = time.monotonic()
            if suite in runs:
                tests, problem, secs = runs[suite]
            else:
                tests, problem = run_suite(binary, valgrind, bdir)
                secs = time.monotonic() - t0
            entry["seconds"] = round(secs, 2)
            entry["problem"] = problem
            for t in tests:
                rec = {"name": t["name"], "status": t["status"]}
                if t["status"] == "fail":
                    rec["message"], rec["see"] = summarise_failure(t["lines"])
                elif t["status"] == "skip":
                    why, _ = summarise_failure(t["lines"])  # why it was skipped
                    if why:
                        rec["message"] = why
                entry["tests"].append(rec)
        result["suites"].append(entry)
    count(result)
    return result


def count(result):
    tests = [t for s in result["suites"] for t in s["tests"]]
    result["total"] = len(tests)
    # A skipped test (cmocka skip(): an optional tool is missing) neither
    # passes nor fails: it counts toward the total as done.
    result["passed"] = sum(t["status"] in ("pass", "skip") for t in tests)
    result["problems"] = [f"{s['name']}: {s['problem']}" for s in result["suites"] if s.get("problem")]
    result["ok"] = result["build"] == "ok" and result["total"] > 0 and \
        result["passed"] == result["total"] and not result["problems"]
    return result


def save_result(result):
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"{result['step']}-{result['mode']}{'-memcheck' if result['valgrind'] else ''}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2))


def load_result(step, mode="starter"):
    f = RESULTS / f"{step}-{mode}.json"
    try:
        return json.loads(f.read_text())
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------
# Building


def rerun_command(step, mode="starter", valgrind=False):
    """The top-level command that runs this step again, as the learner typed it."""
    n = step_num(step)
    if valgrind:
        return f"make memcheck STEP={n}" + (" SOLUTION=1" if mode == "solution" else "")
    if mode == "solution":
        return f"make solution STEP={n}"
    return f"make step{n}"


def build_command(step, mode, extra=(), rerun=None):
    """The make command that builds a step's tests. RERUN tells the step's
    build which command to name in its own messages (mk/step.mk)."""
    cmd = ["make", "-s", "--no-print-directory", "-C", str(ROOT / "steps" / step), "build"]
    if mode == "solution":
        cmd.append("SOLUTION=1")
    if rerun:
        cmd.append(f"RERUN={rerun}")
    return cmd + list(extra)


def make_build(step, mode, extra=(), quiet=False, rerun=None):
    """Builds a step's tests; returns (ok, output)."""
    cmd = build_command(step, mode, extra, rerun)
    # A top-level `make memcheck STEP=3` would pass STEP=3 down to the step's
    # own make through MAKEFLAGS and override its STEP; start clean instead.
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL", "STEP", "SOLUTION")}
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    out = proc.stdout.decode("utf-8", "replace")
    if not quiet:
        sys.stdout.write(localize(out))
    return proc.returncode == 0, out


# protoc's own messages name the file, line and column, without the word "error".
PROTOC_ERROR_RE = re.compile(r"^\S+\.proto:(\d+:\d+:)? ")


def first_compile_error(output):
    """The first line of a failed build that is a compiler's or protoc's error."""
    for ln in output.splitlines():
        if ln.startswith("make") or "warning:" in ln:
            continue
        if PROTOC_ERROR_RE.match(ln) or re.search(r"\berror\b", ln):
            return ln.strip()
    return None


# --------------------------------------------------------------------------
# Verdicts


def suite_file(step, suite):
    """The learner file an exercise lives in (same stem as the suite), if any."""
    for f in learner_files(step):
        if Path(f).stem == suite:
            return f"steps/{step}/{f}"
    files = learner_files(step)
    return f"steps/{step}/{files[0]}" if len(files) == 1 else f"steps/{step}/"


def print_verdict(result, show_next=True, again=None):
    """Prints a step's verdict; again is the command that runs it again (by
    default the top-level one, e.g. make step2)."""
    step, mode = result["step"], result["mode"]
    total, passed = result["total"], result["passed"]
    what = {"starter": "", "solution": " (reference solution)"}[mode]
    vg = " under valgrind" if result["valgrind"] else ""
    print()
    head = f"{step_title(step)}{what}{vg}: {passed} of {total} tests pass"
    print(bold(green(head) if result["ok"] else head))
    width = max((len(s["name"]) for s in result["suites"]), default=8)
    for s in result["suites"]:
        sp = sum(t["status"] in ("pass", "skip") for t in s["tests"])
        st = len(s["tests"])
        mark = green("✓") if st and sp == st and not s.get("problem") else red("✗")
        extra = f"  {red(s['problem'].splitlines()[0])}" if s.get("problem") else ""
        print(f"  {mark} {s['name']:<{width}}  {sp:>3}/{st:<3} {bar(sp, st, 10)}{extra}")
    failing = [(s, t) for s in result["suites"] for t in s["tests"] if t["status"] == "fail"]
    if failing:
        s, t = failing[0]
        print(f"\n{bold('First failing test:')} {t['name']}  {dim('(' + s['name'] + ')')}")
        for ln in (t.get("message") or "failed").splitlines():
            print(f"    {ln}")
        if t.get("see"):
            print(f"    {yellow('read:')} {localize(t['see'])}")
    for p in result["problems"]:
        if "\n" in p:
            print(red(p))
    if not show_next:
        return
    n = step_num(step)
    again = bold(again or rerun_command(step, mode, result["valgrind"]))
    print()
    if mode == "solution" and not result["ok"]:
        print_solution_advice(again, "pass")
        return
    if result["ok"]:
        nxt = [s for s in all_steps() if step_num(s) > n]
        if mode == "solution":
            print("The reference solution passes. Your own files are untouched.")
        elif result["valgrind"]:
            print(green("No memory errors or leaks. ") + (f"Next: make step{step_num(nxt[0])}" if nxt else "That was the last step."))
        elif nxt:
            print(green(f"Step {n} done! ") + f"Next: {bold('make step' + str(step_num(nxt[0])))}"
                  f"  (lesson: {lesson_link(nxt[0])})")
            print(f"Optional: {bold(f'make memcheck STEP={n}')} checks your code for leaks with valgrind.")
        else:
            print(green("That was the last step: the course is done. ") + "'make check' shows the whole table.")
    else:
        if failing:
            s, _ = failing[0]
            print(f"Next: edit {bold(suite_file(step, s['name']))}, then run {again} again.")
        elif result["valgrind"] and result["problems"]:
            print("Next: open the log named above and read the first report down to a line of your "
                  "own file ('definitely lost',")
            print(f"'Invalid read', 'Invalid write'); fix that, then run {again} again.")
        elif result["problems"]:
            print(f"Next: fix the problem above, then run {again} again.")
        print(f"Stuck? {bold(f'make hint STEP={n}')} gives one hint at a time; the lesson is {lesson_link(step)}.")


def print_solution_advice(again, what):
    """What to do when the reference solution itself fails to build or pass."""
    print(f"The reference solution should {what} as it is. If you changed a file the step gives you")
    print(f"(not one of your exercise files), put it back; otherwise {bold('make doctor')} checks the tools.")
    print(f"Then run {again} again.")


def print_build_failure(step, mode, valgrind, output):
    """The verdict when a step's code does not compile."""
    n = step_num(step)
    what = " (reference solution)" if mode == "solution" else ""
    again = bold(rerun_command(step, mode, valgrind))
    err = first_compile_error(output)
    print()
    if mode == "solution":
        print(bold(f"{step_title(step)}{what}: the code does not compile."))
    else:
        print(bold(f"{step_title(step)}: the code does not compile yet."))
    if err:
        print(f"    first error: {localize(err.replace(str(ROOT) + '/', ''))}")
    if mode == "solution":
        print_solution_advice(again, "build")
    else:
        print(f"Next: fix the first error above (the ones after it often follow from it), "
              f"then run {again} again.")


# --------------------------------------------------------------------------
# Commands


def cmd_run(args):
    step = resolve_step(args[0] if args else "")
    mode = "starter"
    valgrind = "--valgrind" in args
    if "--mode" in args:
        mode = args[args.index("--mode") + 1]
    # mk/step.mk says which command the learner typed in the step's folder.
    again = args[args.index("--again") + 1] if "--again" in args[:-1] else None
    result = run_step_suites(step, mode, valgrind)
    save_result(result)
    print_verdict(result, again=again)
    return 0 if result["ok"] else 1


def learner_exit(ok):
    """Failing tests are a learner's normal state, not an error: the learner
    commands exit 0 after a verdict unless STRICT=1 asks for the test status
    (for scripts and teachers' CI). Usage errors still exit 2."""
    return 0 if ok or not os.environ.get("STRICT") else 1


def cmd_step(args, valgrind=False):
    step = resolve_step(args[0] if args else "")
    mode = "solution" if os.environ.get("SOLUTION") else "starter"
    ok, out = make_build(step, mode, rerun=rerun_command(step, mode, valgrind))
    if not ok:
        result = {"step": step, "mode": mode, "valgrind": valgrind, "build": "failed",
                  "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "suites": []}
        count(result)
        save_result(result)
        print_build_failure(step, mode, valgrind, out)
        return learner_exit(False)
    result = run_step_suites(step, mode, valgrind)
    save_result(result)
    print_verdict(result)
    return learner_exit(result["ok"])


def cmd_memcheck(args):
    return cmd_step(args, valgrind=True)


def gather(quiet=True):
    rows = []
    for step in all_steps():
        ok, out = make_build(step, "starter", quiet=True)
        if not ok:
            r = {"step": step, "mode": "starter", "valgrind": False, "build": "failed",
                 "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "suites": [],
                 "build_error": first_compile_error(out)}
            count(r)
        else:
            r = run_step_suites(step, "starter")
        save_result(r)
        rows.append(r)
    return rows


def cmd_check(args):
    print(bold("Checking every step (this builds and tests each one)..."))
    rows = gather()
    print()
    print(bold(f"  {'step':<16} {'tests':>9}   progress"))
    done = 0
    for r in rows:
        label = f"{step_num(r['step'])} {r['step'][3:]}"
        if r["build"] != "ok":
            print(f"  {label:<16} {'—':>9}   {red('does not compile')}  {dim('(make step' + str(step_num(r['step'])) + ' shows why)')}")
            continue
        state = green("done") if r["ok"] else ""
        done += r["ok"]
        print(f"  {label:<16} {r['passed']:>4}/{r['total']:<4}   {bar(r['passed'], r['total'])} {state}")
    print()
    print(bold(f"{done}/{len(rows)} steps done."))
    todo = [r for r in rows if not r["ok"]]
    if todo:
        print(f"Next: {bold('make step' + str(step_num(todo[0]['step'])))}")
    return 0


# Where `make report` tells a teacher how to collect and read the reports.
TEACHER_RESULTS = "docs/en/teacher-guide.md#collecting-results"


def learner_name():
    return os.environ.get("LEARNER") or os.environ.get("USER") or os.environ.get("LOGNAME") or "learner"


def report_summary(rows, who, generated=None):
    """results.json's content from gather()'s rows."""
    return {"learner": who, "generated": generated or time.strftime("%Y-%m-%dT%H:%M:%S"),
            "steps": [{"step": r["step"], "build": r["build"], "passed": r["passed"],
                       "total": r["total"], "done": r["ok"],
                       "problems": r.get("problems", []),
                       "tests": [dict(suite=s["name"], **t) for s in r["suites"] for t in s["tests"]]}
                      for r in rows]}


def first_line(text, default):
    return text.splitlines()[0] if text else default


def junit_xml(rows, who):
    """The same results as JUnit XML, one <testsuite> per step. It counts as
    results.json does: a skipped test (an optional tool is missing) is done
    for the learner, so it is <skipped/>, never a failure; a suite that could
    not run at all (not built, stopped before its first test) is an <error>."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites name={quoteattr("grpc-c course: " + who)}>']
    for r in rows:
        step = r["step"]
        if r["build"] != "ok":
            lines.append(f'  <testsuite name={quoteattr(step)} tests="1" failures="1" errors="0" skipped="0">')
            lines.append(f'    <testcase classname={quoteattr(step)} name="build">'
                         f'<failure message="does not compile">{escape(r.get("build_error") or "")}</failure>'
                         f'</testcase>')
            lines.append("  </testsuite>")
            continue
        tests = [(s["name"], t) for s in r["suites"] for t in s["tests"]]
        broken = [s for s in r["suites"] if s.get("problem")]
        fails = sum(t["status"] not in ("pass", "skip") for _, t in tests)
        skips = sum(t["status"] == "skip" for _, t in tests)
        lines.append(f'  <testsuite name={quoteattr(step)} tests="{len(tests) + len(broken)}" '
                     f'failures="{fails}" errors="{len(broken)}" skipped="{skips}">')
        for suite, t in tests:
            lines.append(f'    <testcase classname={quoteattr(step + "." + suite)} name={quoteattr(t["name"])}>')
            msg = t.get("message") or ""
            if t["status"] == "skip":
                lines.append(f'      <skipped message={quoteattr(first_line(msg, "skipped"))}/>')
            elif t["status"] != "pass":
                body = msg + (f"\nsee {t['see']}" if t.get("see") else "")
                lines.append(f'      <failure message={quoteattr(first_line(msg, "failed"))}>{escape(body)}</failure>')
            lines.append("    </testcase>")
        for s in broken:
            lines.append(f'    <testcase classname={quoteattr(step + "." + s["name"])} name={quoteattr(s["name"])}>'
                         f'<error message={quoteattr(first_line(s["problem"], "error"))}>{escape(s["problem"])}</error>'
                         f'</testcase>')
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def write_report(rows, who, out):
    """Writes results.json and junit.xml into the folder out; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_file, xml_file = out / "results.json", out / "junit.xml"
    json_file.write_text(json.dumps(report_summary(rows, who), indent=2))
    xml_file.write_text(junit_xml(rows, who))
    return json_file, xml_file


def cmd_report(args):
    rows = gather()
    who = learner_name()
    json_file, xml_file = write_report(rows, who, BUILD / "report")
    done = sum(r["ok"] for r in rows)
    print(f"{done}/{len(rows)} steps done for {who}.")
    print(f"Wrote {shown_path(json_file)} and {shown_path(xml_file)}.")
    print(f"Teachers: collect these two files from each learner; {localize(TEACHER_RESULTS)} says how.")
    return 0


# --------------------------------------------------------------------------
# The class's reports (for a teacher)


def read_reports(folder):
    """The results.json files of `make report` found in folder (and the folders
    under it): returns (reports, skipped), each report with its file (relative
    to folder) in "_file"; skipped lists "FILE: why" for .json files that are
    not reports."""
    reports, skipped = [], []
    for f in sorted(Path(folder).rglob("*.json")):
        if not f.is_file():
            continue
        try:
            data = json.loads(f.read_text(encoding="utf-8", errors="replace"))
        except ValueError as e:
            skipped.append(f"{f}: not valid JSON ({e})")
            continue
        if not (isinstance(data, dict) and isinstance(data.get("steps"), list)
                and all(isinstance(s, dict) and "step" in s for s in data["steps"])):
            skipped.append(f"{f}: not a file of make report (no list of steps)")
            continue
        data["_file"] = f.relative_to(folder)
        reports.append(data)
    return reports, skipped


def stuck_at(report):
    """Where a learner is: the first step not done and what holds it up."""
    for s in report["steps"]:
        if s.get("done"):
            continue
        num = s["step"][:2]
        if s.get("build") != "ok":
            return f"{num}: does not compile"
        fails = [t for t in s.get("tests", []) if t.get("status") not in ("pass", "skip")]
        if fails:
            return f"{num}: {fails[0].get('name', '?')}"
        if s.get("problems"):
            return f"{num}: {first_line(s['problems'][0], 'a suite did not run')}"
        return f"{num}: no tests ran"
    return "all done"


def class_table(reports):
    """The lines of the class table: a row per report, a column per step."""
    steps = sorted({s["step"] for r in reports for s in r["steps"]})
    names = [str(r.get("learner") or "?") for r in reports]
    # Learners who ran `make report` without LEARNER= may share a login name:
    # tell their rows apart by the file each report came from.
    labels = [f"{n} ({r['_file']})" if names.count(n) > 1 else n for n, r in zip(names, reports)]
    rows = sorted(zip(labels, reports), key=lambda lr: (lr[0].lower(), str(lr[1]["_file"])))
    lw = max([len("learner")] + [len(l) for l in labels])
    cw = 8
    head = f"{'learner':<{lw}}" + "".join(f"{s[:2]:>{cw}}" for s in steps) + f"  {'last run':<16}  now at"
    out = [bold(head)]
    done_by = {s: 0 for s in steps}
    for label, r in rows:
        by_step = {s["step"]: s for s in r["steps"]}
        cells = ""
        for st in steps:
            s = by_step.get(st)
            if s is None:
                cell = "· "
            elif s.get("build") != "ok":
                cell = "— "
            else:
                cell = f"{s.get('passed', 0)}/{s.get('total', 0)}" + ("*" if s.get("done") else " ")
            if s is not None and s.get("done"):
                done_by[st] += 1
            cells += " " * (cw - len(cell)) + (green(cell) if s is not None and s.get("done") else cell)
        when = str(r.get("generated") or "?").replace("T", " ")[:16]
        where = stuck_at(r)
        out.append(f"{label:<{lw}}{cells}  {when:<16}  " + (green(where) if where == "all done" else where))
    out.append((f"{'done':<{lw}}" + "".join(f"{str(done_by[s]) + '/' + str(len(rows)):>{cw - 1}} "
                                            for s in steps)).rstrip())
    out.append(dim("N/M* = step done (tests passed / total); — = does not compile; · = not in that report"))
    return out


def cmd_class_report(args):
    folder = (args[0] if args else "").strip()
    if not folder:
        raise UsageError("make class-report needs the folder where you collected the learners' reports:\n"
                         "  make class-report DIR=reports\n"
                         "where reports/ holds each learner's build/report/results.json under their own name.")
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise UsageError(f"There is no folder '{folder}'. Give the folder that holds the collected "
                         f"results.json files: make class-report DIR=<folder>.")
    reports, skipped = read_reports(path)
    for why in skipped:
        print(yellow(f"skipped {why}"))
    if not reports:
        print(red(f"No reports in {folder}.") + " Each learner runs 'make report' and copies "
              "build/report/results.json")
        print(f"there under their own name, e.g. cp build/report/results.json {folder.rstrip('/')}/ana-kim.json")
        print(f"(see {localize(TEACHER_RESULTS)}).")
        return 1
    for ln in class_table(reports):
        print(ln)
    print(f"{len(reports)} report(s) from {folder}.")
    return 0


def parse_hints(step):
    """{suite: [hint, hint, hint]} from tests/STEP/hints.md."""
    f = ROOT / "tests" / step / "hints.md"
    hints, suite, cur = {}, None, None
    if not f.exists():
        return hints
    for ln in f.read_text().splitlines():
        m = re.match(r"^##\s+(\S+)", ln)
        if m:
            suite = m.group(1)
            hints[suite] = []
            cur = None
            continue
        if suite is None:
            continue
        m = re.match(r"^\d+\.\s+(.*)", ln)
        if m:
            cur = [m.group(1)]
            hints[suite].append(cur)
        elif cur is not None and ln.startswith("   ") and ln.strip():
            cur.append(ln.strip())
        elif not ln.strip():
            cur = None
    return {k: [" ".join(h) for h in v] for k, v in hints.items()}


def cmd_hint(args):
    step = resolve_step(args[0] if args else "")
    n = step_num(step)
    hints = parse_hints(step)
    if not hints:
        print(f"Step {n} has no hints yet: read {lesson_link(step)}.")
        return 0
    ok, _ = make_build(step, "starter", quiet=True)
    result = run_step_suites(step, "starter") if ok else None
    target = None
    if result is None:
        print(yellow(f"(Your step {n} code does not compile: 'make step{n}' shows the first error.)"))
    else:
        save_result(result)
        for s in result["suites"]:
            if any(t["status"] not in ("pass", "skip") for t in s["tests"]) or s.get("problem"):
                target = s["name"]
                break
        if target is None:
            print(green(f"Every test of step {n} passes: no hint needed. Next: make step{n + 1}"))
            return 0
    if target not in hints:
        target = next(iter(hints))
    STATE.mkdir(exist_ok=True)
    seen_file = STATE / "hints.json"
    try:
        seen = json.loads(seen_file.read_text())
    except (OSError, ValueError):
        seen = {}
    key = f"{step}/{target}"
    k = seen.get(key, 0)
    tiers = hints[target]
    if k >= len(tiers):
        print(f"You have seen all {len(tiers)} hints for {bold(target)}. The last one again:")
        k = len(tiers) - 1
    else:
        seen[key] = k + 1
        seen_file.write_text(json.dumps(seen, indent=2))
    print(f"{bold(f'Hint {k + 1} of {len(tiers)}')} for {bold(target)} ({suite_file(step, target)}):")
    print(f"  {localize(tiers[k])}")
    if k + 1 < len(tiers):
        print(dim(f"Run 'make hint STEP={n}' again for the next one."))
    return 0


def cmd_reset(args):
    step = resolve_step(args[0] if args else "")
    files = learner_files(step)
    if not files:
        print(f"Step {step_num(step)} has no learner files to reset.")
        return 0
    if shutil.which("git") is None or subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--verify", "HEAD"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        print(red("make reset needs the workspace's git history (it restores files from it)."))
        return 1
    changed = []
    for f in files:
        rel = f"steps/{step}/{f}"
        original = subprocess.run(["git", "-C", str(ROOT), "show", f"HEAD:{rel}"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if original.returncode != 0:
            continue
        path = ROOT / rel
        if not path.exists() or path.read_bytes() != original.stdout:
            changed.append((rel, original.stdout))
    if not changed:
        print(f"Step {step_num(step)}'s files are already the starter versions: nothing to reset.")
        return 0
    print("This puts back the starter version of:")
    for rel, _ in changed:
        print(f"  {rel}")
    interactive = sys.stdin.isatty() and not os.environ.get("CI") and not os.environ.get("YES")
    if interactive:
        try:
            answer = input("Your versions are saved in build/backup/ first. Go ahead? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing changed.")
            return 1
    backup = BUILD / "backup" / f"{step}-{time.strftime('%Y%m%d-%H%M%S')}"
    backup.mkdir(parents=True, exist_ok=True)
    for rel, data in changed:
        path = ROOT / rel
        if path.exists():
            shutil.copy2(path, backup / path.name)
        path.write_bytes(data)
    print(green(f"Reset {len(changed)} file(s).") + f" Your versions are in {backup.relative_to(ROOT)}/.")
    return 0


def snapshot(paths):
    state = {}
    for base in paths:
        for p in base.rglob("*"):
            if p.is_file():
                try:
                    state[str(p)] = p.stat().st_mtime_ns
                except OSError:
                    pass
    return state


def cmd_watch(args):
    step = resolve_step(args[0] if args else "")
    dirs = [ROOT / "steps" / step]
    n = step_num(step)
    inotify = shutil.which("inotifywait")
    print(bold(f"Watching steps/{step}/ — the tests run on every save. Ctrl-C stops."))
    if not inotify:
        print(dim("(inotifywait not found: checking for changes once a second instead)"))
    try:
        while True:
            cmd_step([step])
            print(dim(f"\n[watching steps/{step}/ for changes...]"))
            if inotify:
                subprocess.run([inotify, "-qq", "-r", "-e", "close_write,moved_to,create,delete",
                                *map(str, dirs)])
                time.sleep(0.2)  # let an editor finish writing its swap/rename dance
            else:
                before = snapshot(dirs)
                while snapshot(dirs) == before:
                    time.sleep(1)
    except KeyboardInterrupt:
        print(f"\nStopped watching. 'make step{n}' runs the tests once.")
        return 0


def cmd_help(args):
    steps = all_steps()
    print(bold("gRPC in C: a hands-on course") + "  — the commands (run them from this folder):\n")
    rows = [
        ("make step1 … step7", "build and test your code for a step, then say what to do next"),
        ("make check", "a progress table over all steps"),
        ("make hint STEP=N", "the next hint for step N (one more each time)"),
        ("make watch STEP=N", "re-run step N's tests on every save"),
        ("make memcheck STEP=N", "run step N's tests under valgrind"),
        ("make reset STEP=N", "put back step N's starter files (yours are backed up)"),
        ("make solution STEP=N", "run step N's tests against the reference solution"),
        ("make report", "your results as JSON + JUnit XML (for a teacher)"),
        ("make class-report DIR=…", "teachers: a table of the class from the collected reports"),
        ("make demo", "run the finished server and client end to end, with a transcript"),
        ("make call METHOD=… DATA=…", "call a running server by hand (buf curl); 'make call' lists methods"),
        ("make docs / serve-docs", "build the lesson site / read it at http://127.0.0.1:8000"),
        ("make setup / doctor", "install / check the tools (other commands do it for you)"),
        ("make test", "the workspace's own test suite (for maintainers and CI)"),
        ("make bench", "load-test the runtime against the C++ gRPC servers"),
        ("make cluster", "three step-7 servers behind a round_robin client; one is stopped mid-load"),
        ("make fuzz / soak", "fuzz the runtime for a while / a long mixed load with RSS figures"),
    ]
    for c, d in rows:
        print(f"  {bold(c):<{26 + (len(bold('')) if COLOR else 0)}} {d}")
    print("\n" + bold("The steps") + dim("  (progress from your last run)"))
    for s in steps:
        r = load_result(s)
        if r is None:
            prog = dim("not run yet")
        elif r["build"] != "ok":
            prog = red("does not compile")
        else:
            prog = f"{r['passed']:>3}/{r['total']:<3} {bar(r['passed'], r['total'], 10)}" + (" " + green("done") if r["ok"] else "")
        print(f"  {step_num(s)}  {s[3:]:<10} {prog}   {dim(lesson_link(s))}")
    print(f"\nNew here? Run {bold('make step1')} and read {lesson_link(steps[0]) if steps else 'docs/'}.")
    return 0


COMMANDS = {"run": cmd_run, "step": cmd_step, "memcheck": cmd_memcheck, "check": cmd_check,
            "report": cmd_report, "class-report": cmd_class_report, "hint": cmd_hint,
            "reset": cmd_reset, "watch": cmd_watch, "help": cmd_help}


def main(argv):
    if not argv or argv[0] not in COMMANDS and argv[0] != "contract":
        print(__doc__)
        return 2
    try:
        if argv[0] == "contract":
            from contract import main as contract_main  # tools/contract.py
            return contract_main(argv[1:])
        return COMMANDS[argv[0]](argv[1:])
    except UsageError as e:
        print(red(str(e)))
        return 2


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `make help | head` is fine
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main(sys.argv[1:]))
