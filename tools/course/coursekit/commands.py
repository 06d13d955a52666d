"""coursekit.commands: the subcommands of tools/course/course.py (make step1,
check, report, class-report, hint, reset, watch, memcheck, help), each a
cmd_* function of the argument list that returns the exit status."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import classroom, exercises, term
from .build import first_compile_error, make_build
from .lessons import lesson_link, localize
from .report import TEACHER_RESULTS, class_table, learner_name, read_reports, write_report
from .runner import count, gather, load_result, run_step_suites, save_result
from .steps import UsageError, all_steps, learner_files, parse_hints, resolve_step, step_num, suite_file
from .term import bar, bold, dim, green, red, yellow
from .verdict import next_file, print_build_failure, print_verdict, rerun_command
from .workspace import BACKUPS, BUILD, ROOT, STATE, shown_path


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
    ok, out = make_build(step, mode, rerun=rerun_command(step, mode, valgrind),
                         sanitize="none" if valgrind else "address")
    if not ok:
        result = {"step": step, "mode": mode, "valgrind": valgrind, "build": "failed",
                  "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "suites": [],
                  "build_error": first_compile_error(out)}
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


def cmd_report(args):
    rows = gather()
    who = learner_name()
    json_file, xml_file = write_report(rows, who, BUILD / "report")
    done = sum(r["ok"] for r in rows)
    print(f"{done}/{len(rows)} steps done for {who}.")
    print(f"Wrote {shown_path(json_file)} and {shown_path(xml_file)}.")
    print(f"Teachers: collect these two files from each learner; {localize(TEACHER_RESULTS)} says how.")
    return 0


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


def hint_suite(step, result, first_failing):
    """The exercise whose hints to show: the one the verdict sends the
    learner to (a test that needs another file unfinished names that file),
    as the suite that declares that file."""
    failing = [(s, t) for s in result["suites"] for t in s["tests"] if t["status"] == "fail"]
    if not failing:
        return first_failing
    target, _ = next_file(step, result, *failing[0])
    for suite in [s["name"] for s in result["suites"]]:
        try:
            if exercises.exercise_file(ROOT, step, suite) == target:
                return suite
        except exercises.DeclarationError:
            continue
    return first_failing


def current_step():
    """The step a learner is on: the first whose last run did not pass (as
    make stepN saved it), or the first never run; None when all passed."""
    for step in all_steps():
        r = load_result(step)
        if not r or not r.get("ok"):
            return step
    return None


def cmd_hint(args):
    if not (args and args[0]):
        step = current_step()
        if step is None:
            print(green("Every step passes: the course is finished. ") + "'make check' shows the whole table.")
            return 0
    else:
        step = resolve_step(args[0])
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
        target = hint_suite(step, result, target)
        if target is None:
            later = [s for s in all_steps() if step_num(s) > n]
            print(green(f"Every test of step {n} passes: no hint needed. ")
                  + (f"Next: make step{step_num(later[0])}" if later else "That was the last step: the course is finished."))
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
    try:
        where = exercises.exercise_file(ROOT, step, target)
    except exercises.DeclarationError:
        where = suite_file(step, target)
    print(f"{bold(f'Hint {k + 1} of {len(tiers)}')} for {bold(target)} ({where}):")
    print(f"  {localize(tiers[k])}")
    if k + 1 < len(tiers):
        print(dim(f"Run 'make hint' again for the next one."))
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
    # Ask first, unless FORCE=1 (or YES=1) says not to, or nobody can answer
    # (no terminal: a script, CI). The backup is made either way.
    forced = os.environ.get("FORCE") or os.environ.get("YES")
    interactive = sys.stdin.isatty() and not os.environ.get("CI") and not forced
    if interactive:
        try:
            answer = input(f"Your versions are saved in {shown_path(BACKUPS)}/ first. Go ahead? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing changed.")
            return 1
    backup = BACKUPS / f"{step}-{time.strftime('%Y%m%d-%H%M%S')}"
    n = 2
    while backup.exists():  # two resets within a second keep both backups
        backup = BACKUPS / f"{step}-{time.strftime('%Y%m%d-%H%M%S')}-{n}"
        n += 1
    backup.mkdir(parents=True)
    for rel, data in changed:
        path = ROOT / rel
        if path.exists():
            shutil.copy2(path, backup / path.name)
        path.write_bytes(data)
    where = shown_path(backup)
    print(green(f"Reset {len(changed)} file(s).") + f" Your versions are in {where}/ "
          "('make clean' keeps them).")
    print(f"To put yours back: {bold(f'cp {where}/* steps/{step}/')}")
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
        ("make class", "teachers: the class server and its live web board (prints the join line)"),
        ("make class-watch", "teachers: the live board in the terminal"),
        ("make class-export DIR=…", "teachers: the live board as reports, for make class-report"),
        ("make join CLASS=…", "send your runs to the class board (with CODE=… NAME=…; make leave stops)"),
        ("make class-status", "what was sent to the class board, what waits"),
        ("make demo", "run the finished server and client end to end, with a transcript"),
        ("make call METHOD=… DATA=…", "call a running server by hand (buf curl); LIST=1: what it serves"),
        ("make docs / serve-docs", "build the lesson site / read it at http://127.0.0.1:8000"),
        ("make setup / doctor", "install / check the tools (other commands do it for you)"),
        ("make test", "the workspace's own test suite (for maintainers and CI)"),
        ("make format", "maintainers: lay the C code out as .clang-format says (make test checks it)"),
        ("make bench", "load-test the runtime's server against the C++ and grpc-go servers"),
        ("make bench-client", "the runtime's client against the C++ (sync, callback) and grpc-go clients"),
        ("make bench-loop", "time the learner's loop: a one-line edit to the verdict, every step"),
        ("make cluster", "three step-7 servers behind a round_robin client; one is stopped mid-load"),
        ("make fuzz / soak", "fuzz the runtime for a while / a long mixed load with RSS figures"),
    ]
    for c, d in rows:
        print(f"  {bold(c):<{26 + (len(bold('')) if term.COLOR else 0)}} {d}")
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
            "reset": cmd_reset, "watch": cmd_watch, "help": cmd_help,
            "join": classroom.cmd_join, "leave": classroom.cmd_leave,
            "class-status": classroom.cmd_class_status, "class-watch": classroom.cmd_class_watch,
            "class-export": classroom.cmd_class_export}

# The commands whose results also go to the class board (make join), and
# as what kind of run.
CLASS_SOURCES = {"run": "step", "step": "step", "memcheck": "step", "hint": "step", "watch": "step",
                 "check": "check", "report": "report"}
