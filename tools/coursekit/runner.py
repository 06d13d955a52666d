"""coursekit.runner: running a step's built suites (plainly or under
valgrind) into a result, and the results files in build/results/."""

import json
import os
import subprocess
import time

from .build import first_compile_error, make_build
from .cmocka import parse_cmocka, summarise_failure, valgrind_problem
from .steps import all_steps, build_dir, suites_of
from .workspace import RESULTS, ROOT


SUITE_TIMEOUT = 120                 # seconds per suite binary
VALGRIND_TIMEOUT = 900


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
