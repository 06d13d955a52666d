"""coursekit.runner: running a step's built suites (plainly or under
valgrind) into a result, and the results files in build/results/."""

import json
import os
import signal
import subprocess
import time

from . import classroom, sanreport
from .build import build_command, clean_build_env, first_compile_error, make_build
from .cmocka import parse_cmocka, program_stderr, summarise_failure, valgrind_problem
from .steps import all_steps, build_dir, is_learner_source, suites_of, tsan_suites
from .workspace import RESULTS, ROOT


SUITE_TIMEOUT = 120                 # seconds per suite binary
VALGRIND_TIMEOUT = 900


# Where the verdict sends a learner whose code a sanitizer stopped.
MEMORY_PAGE = "docs/en/reference/memory.md"


def sanitizer_finding(report, step):
    """The learner's view of a sanitizer report (sanreport.explain): what went
    wrong, where in which of their files, and the lesson section to read."""
    finding = {"kind": report["kind"], "meaning": report["meaning"], "file": None, "where": None,
               "see": MEMORY_PAGE + ("#what-the-everyday-loop-checks" if report["kind"] == "data race"
                                     else "#memory-ownership")}
    if report["path"]:
        in_fn = f" (in {report['function']})" if report["function"] else ""
        finding["file"] = f"steps/{step}/{os.path.basename(report['path'])}"
        finding["where"] = report["where"] + in_fn
        finding["line"] = "line " + report["where"].rsplit(":", 1)[1] + in_fn
    text = f"{report['kind']}: {report['meaning']}"
    if finding["where"]:
        text += f"\n    at {finding['where']}"
    finding["text"] = text
    return finding


def run_suite(binary, valgrind=False, log_dir=None, step=None):
    """Runs one cmocka binary; returns (tests, problem, finding) where problem
    names a crash, a timeout or memory errors that no single test owns, and
    finding is what a sanitizer reported (sanitizer_finding), if anything."""
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="stdout")
    env.pop("CMOCKA_XML_FILE", None)
    cmd = [str(binary)]
    vg_log = None
    if valgrind:
        vg_log = (log_dir or binary.parent) / f"valgrind-{binary.name}.log"
        cmd = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible",
               "--errors-for-leak-kinds=definite,indirect,possible", "--error-exitcode=99",
               f"--suppressions={ROOT / 'tests' / 'common' / 'valgrind.supp'}", f"--log-file={vg_log}",
               "--track-fds=no"] + cmd
        if not (ROOT / "tests" / "common" / "valgrind.supp").exists():
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
        return [], f"could not run {binary.name}: {e}", None
    tests = parse_cmocka(out)
    if rc is not None and rc < 0:
        problem = f"crashed with signal {-rc}"
    report = None if valgrind or step is None else \
        sanreport.explain(out, lambda path: is_learner_source(step, path))
    if report and report["kind"] == "memory leak" and not report["path"] and \
            not any(t["status"] in ("fail", "running") for t in tests):
        # (after a failed test the leak is not shown: no second run then)
        report = leak_with_whole_stacks(cmd, env, timeout, step) or report
    finding = sanitizer_finding(report, step) if report else None
    for t in tests:
        if t["status"] == "running":
            t["status"] = "fail"
            if finding:
                # The sanitizer stopped the program inside this test.
                t["lines"] = [f"the checker stopped this test: {finding['text']}",
                              f"see {finding['see']}"]
                t["file"] = finding["file"]
            else:
                t["lines"].append(f"this test did not finish: the suite {problem or 'stopped'}")
    if finding and not any(t.get("file") for t in tests):
        if any(t["status"] == "fail" for t in tests):
            # A leak reported at exit after a failed test means little: a
            # failed check leaves its test early, holding what it allocated.
            # Failing tests come first; the leak shows once they pass.
            finding = None
        else:
            problem = finding["text"]
    if valgrind and rc == 99:
        problem = valgrind_problem(vg_log)
    if not tests and problem is None and rc not in (0, None):
        problem = f"exited with status {rc} before running any test:\n" + "\n".join(out.splitlines()[-10:])
    elif problem is None and rc not in (0, None) and not any(t["status"] == "fail" for t in tests):
        # cmocka's status is the number of failed tests: with none failed,
        # something after them failed the program.
        problem = f"exited with status {rc} after its tests passed:\n" + "\n".join(out.splitlines()[-10:])
    return tests, problem, finding


def leak_with_whole_stacks(cmd, env, timeout, step):
    """The leak report of a second run that unwinds every allocation's stack
    the slow way, or None. The sanitizers' fast unwinder follows frame
    pointers, and stops at the first library built without them (protobuf-c,
    gRPC core): a leak allocated in there shows no frame of the learner's
    own. Every allocation pays for the slow unwinder, so only a leak report
    that names no learner file pays for this run."""
    slow = dict(env, ASAN_OPTIONS=":".join(
        o for o in (env.get("ASAN_OPTIONS"), "fast_unwind_on_malloc=0") if o))
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=slow,
                              timeout=timeout, cwd=str(ROOT))
    except (subprocess.TimeoutExpired, OSError):
        return None
    report = sanreport.explain(proc.stdout.decode("utf-8", "replace"),
                               lambda path: is_learner_source(step, path))
    return report if report and report["kind"] == "memory leak" and report["path"] else None


def suite_entry(suite, binary, run, valgrind, bdir, step):
    """A suite's entry of the result from its run (tests, problem, finding,
    seconds), or from a run made now when run is None."""
    entry = {"name": suite, "tests": [], "problem": None}
    if not binary.exists():
        entry["problem"] = f"{binary.name} was not built"
        return entry
    if run is None:
        t0 = time.monotonic()
        tests, problem, finding = run_suite(binary, valgrind, bdir, None if valgrind else step)
        run = (tests, problem, finding, time.monotonic() - t0)
    tests, problem, finding, secs = run
    if finding:
        entry["sanitizer"] = finding
    entry["seconds"] = round(secs, 2)
    entry["problem"] = problem
    for t in tests:
        rec = {"name": t["name"], "status": t["status"]}
        if t.get("file"):
            rec["file"] = t["file"]
        if t["status"] == "fail":
            rec["message"], rec["see"] = summarise_failure(t["lines"])
            err = program_stderr(t.get("programs"))
            if err:
                rec["stderr"] = {"program": err[0], "lines": err[1]}
        elif t["status"] == "skip":
            why, _ = summarise_failure(t["lines"])  # why it was skipped
            if why:
                rec["message"] = why
        entry["tests"].append(rec)
    return entry


def run_step_suites(step, mode, valgrind=False, threads=True, overrides=()):
    """Runs a step's built suites into a result. Under valgrind from the
    plain build; otherwise from the sanitizer build, and then (threads) the
    suites of shared state that passed run once more under ThreadSanitizer.
    overrides: the make variables the step was built with (STEP_DIR=...,
    BUILD_ROOT=...) when it is a copy of the step."""
    root = next((o.split("=", 1)[1] for o in overrides if o.startswith("BUILD_ROOT=")), None)
    bdir = build_dir(step, mode, "none" if valgrind else "address", root)
    result = {"step": step, "mode": mode, "valgrind": valgrind, "build": "ok",
              "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "suites": []}
    suites = suites_of(step)
    entries = {}
    tsan_done = False
    # Suites run two per core, four at most (SUITE_JOBS=1 to run them one
    # by one): most of a suite's time is waiting on its own network calls,
    # deadlines and processes (step 5's nine suites with the solution: about
    # 16 s one after another, 2 s of CPU), and the learner waits for
    # the slowest step of the loop. The results keep the suites' order.
    jobs = max(1, int(os.environ.get("SUITE_JOBS", "0") or 0) or min(4, 2 * (os.cpu_count() or 1)))
    if jobs > 1:
        from concurrent.futures import ThreadPoolExecutor

        def timed(binary):
            t0 = time.monotonic()
            tests, problem, finding = run_suite(binary, valgrind, bdir, None if valgrind else step)
            return tests, problem, finding, time.monotonic() - t0

        def entry(s, f):
            return suite_entry(s, bdir / f"test_{s}", f.result(), valgrind, bdir, step)

        # The slowest suites of the last run start first, so that a long
        # one does not start last and keep the learner waiting alone.
        last = {} if valgrind else {s["name"]: s.get("seconds") or 0
                                    for s in (load_result(step, mode) or {}).get("suites", [])}
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {s: pool.submit(timed, bdir / f"test_{s}")
                       for s in sorted(suites, key=lambda s: -last.get(s, 0))
                       if (bdir / f"test_{s}").exists()}
            shared = [s for s in tsan_suites(step) if s in futures] if threads and not valgrind else []
            if shared:
                # The suites of shared state go on to ThreadSanitizer as soon
                # as their own runs are done, while longer suites still run.
                # (Only in the learner's own workspace: a copy's results
                # are not in build/results.)
                was_clean = not overrides and load_result(step, mode) is not None and \
                    all(s in last_clean(step, mode) for s in shared)
                entries.update(tsan_in_pool(step, mode, shared, lambda s: entry(s, futures[s]),
                                            pool, overrides, root, was_clean))
                tsan_done = True
            for s, f in futures.items():
                if s not in entries:
                    entries[s] = entry(s, f)
    for suite in suites:
        result["suites"].append(entries.get(suite) or
                                suite_entry(suite, bdir / f"test_{suite}", None, valgrind, bdir, step))
    if threads and not valgrind and not tsan_done:
        run_under_tsan(step, mode, result, overrides, root)
    count(result)
    return result


def is_clean(entry):
    """A suite's entry with every test passed and nothing else wrong."""
    return not entry.get("problem") and bool(entry["tests"]) and \
        all(t["status"] != "fail" for t in entry["tests"])


def last_clean(step, mode):
    """The suites that were clean in the step's last results file."""
    return {s["name"] for s in (load_result(step, mode) or {}).get("suites", []) if is_clean(s)}


def tsan_failed_build(entries, out):
    for e in entries:
        e["problem"] = "could not build with ThreadSanitizer:\n" + "\n".join(out.splitlines()[-10:])


def tsan_apply(entry, run):
    """Adds a ThreadSanitizer run (tests, problem, finding, seconds) to a suite's entry."""
    _, problem, finding, secs = run
    entry["seconds"] = round(entry.get("seconds", 0) + secs, 2)
    if finding:
        entry["sanitizer"] = finding
        entry["problem"] = "ThreadSanitizer: " + finding["text"]
    elif problem:
        entry["problem"] = "under ThreadSanitizer: " + problem


def tsan_run(step, bdir, suite):
    t0 = time.monotonic()
    tests, problem, finding = run_suite(bdir / f"test_{suite}", False, bdir, step)
    return tests, problem, finding, time.monotonic() - t0


def start_tsan_build(step, mode, suites, overrides):
    """The ThreadSanitizer build of `suites`, started in the background (its
    own process group, so that it can be stopped with everything it runs)."""
    return subprocess.Popen(build_command(step, mode, overrides, sanitize="thread", suites=suites),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=clean_build_env(), start_new_session=True)


def stop_build(proc):
    """Stops a background build that is no longer needed (make removes the
    file it was making when it is stopped)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except OSError:
            pass


def tsan_in_pool(step, mode, shared, own_entry, pool, overrides=(), root=None, early=False):
    """run_under_tsan for suites run in a pool: returns {suite: entry} for the
    suites of shared state, each with its ThreadSanitizer run added when its
    own run was clean. early (they were all clean in the last run, and most
    likely will be again): their ThreadSanitizer build starts now, and they
    run under ThreadSanitizer as soon as it is done, beside their own runs;
    a ThreadSanitizer run counts only when the suite's own run was clean,
    and the build is stopped if none was. Otherwise the build waits for
    their own runs and is of the clean ones only."""
    from concurrent.futures import ThreadPoolExecutor
    bdir = build_dir(step, mode, "thread", root)
    if not early:
        entries = {s: own_entry(s) for s in shared}
        clean = [s for s in shared if is_clean(entries[s])]
        if clean:
            ok, out = make_build(step, mode, extra=overrides, quiet=True, sanitize="thread", suites=clean)
            if not ok:
                tsan_failed_build([entries[s] for s in clean], out)
            else:
                runs = {s: pool.submit(tsan_run, step, bdir, s) for s in clean}
                for s, r in runs.items():
                    tsan_apply(entries[s], r.result())
        return entries
    build = start_tsan_build(step, mode, shared, overrides)

    def build_and_run(side):
        out = build.communicate()[0].decode("utf-8", "replace")
        if build.returncode != 0:
            return False, out, {}
        return True, out, {s: side.submit(tsan_run, step, bdir, s) for s in shared}

    with ThreadPoolExecutor(max_workers=1 + len(shared)) as side:
        tsan = side.submit(build_and_run, side)
        entries = {s: own_entry(s) for s in shared}
        clean = [s for s in shared if is_clean(entries[s])]
        if not clean:
            stop_build(build)
        ok, out, runs = tsan.result()
        if clean and not ok:
            tsan_failed_build([entries[s] for s in clean], out)
        for s in clean:
            if s in runs:
                tsan_apply(entries[s], runs[s].result())
        for r in runs.values():
            r.result()  # (not counted: its own run failed)
    return entries


def run_under_tsan(step, mode, result, overrides=(), root=None):
    """Runs the suites of shared state (steps.tsan_suites) that passed once
    more, built with ThreadSanitizer: a data race fails its suite on every
    run, whether or not the threads happened to collide. A suite that
    already failed is left for the learner to fix first."""
    clean = {s["name"]: s for s in result["suites"] if is_clean(s)}
    suites = [s for s in tsan_suites(step) if s in clean]
    if not suites:
        return
    ok, out = make_build(step, mode, extra=overrides, quiet=True, sanitize="thread", suites=suites)
    if not ok:
        tsan_failed_build([clean[s] for s in suites], out)
        return
    bdir = build_dir(step, mode, "thread", root)
    for s in suites:
        tsan_apply(clean[s], tsan_run(step, bdir, s))


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
    classroom.record(result)  # to the class board, when the learner joined one


def load_result(step, mode="starter"):
    f = RESULTS / f"{step}-{mode}.json"
    try:
        return json.loads(f.read_text())
    except (OSError, ValueError):
        return None


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
