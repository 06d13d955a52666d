#!/usr/bin/env python3
"""make bench-loop: how long a learner waits, from a one-line edit to the
verdict of `make stepN`.

Works on a copy of the workspace (build/loop/ws: the tracked files, with
their uncommitted changes, and the shared build of the runtime, the code
generator and the generated code), never on the checkout's own steps/.
For every step it times `make stepN` in that copy:

  first build       the step's build folder and results file removed, starter
                    files in place
                    (the first `make stepN` on a set-up machine)
  edit, starter     a comment line appended to a learner file, starter files
  edit, solution    the same with every learner file from solutions/ (after
                    one untimed run that builds them)
  unfinished F      the solution with learner file F put back to its starter:
                    one exercise unfinished (the swap is the edit)

and prints a table per step: wall seconds, CPU seconds of everything the
run started (user + system: on a busy machine the wall time says little,
CPU time much more), the verdict's count, and the slowest suites of the
run (from the run's results file). Targets (issue 17): every
edit <= 3 s on 2 cores, a first build <= 10 s.

Settings (environment): BENCH_LOOP_STEPS (e.g. "4 5"; all by default),
BENCH_LOOP_UNFINISHED (all | none, all by default), BENCH_LOOP_REPEAT
(timed runs per edit, the median is shown; 1). Results: build/loop/results.json.
Standard library only.
"""

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "loop"
WS = OUT / "ws"
EDIT_TARGET_S = 3.0
FIRST_TARGET_S = 10.0
COMMENT = {".c": "/* bench-loop edit {} */\n", ".h": "/* bench-loop edit {} */\n",
           ".proto": "// bench-loop edit {}\n", ".mk": "# bench-loop edit {}\n"}


def tracked_files():
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"], check=True,
                         stdout=subprocess.PIPE).stdout
    return [f for f in out.decode().split("\0") if f]


def make_copy():
    """The copy of the workspace (tracked and new files), with the checkout's shared build (mtimes
    kept, so make sees it up to date) and `make shared` to finish it."""
    if WS.exists():
        shutil.rmtree(WS)
    WS.mkdir(parents=True)
    for rel in tracked_files():
        src = ROOT / rel
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the checkout, not yet committed
        dst = WS / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
    for part in ("lib", "tools", "gen"):
        if (ROOT / "build" / part).is_dir():
            shutil.copytree(ROOT / "build" / part, WS / "build" / part, symlinks=True)
    t0 = time.monotonic()
    proc = subprocess.run(["make", "-s", "shared"], cwd=WS, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, env=clean_env())
    if proc.returncode != 0:
        sys.exit("bench-loop: `make shared` failed in the copy:\n" + proc.stdout.decode()[-3000:])
    return time.monotonic() - t0


def clean_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL", "STEP",
                        "SOLUTION", "SANITIZE", "STRICT")}
    env["NO_COLOR"] = "1"
    return env


def all_steps():
    return sorted(p.name for p in (ROOT / "steps").iterdir()
                  if p.is_dir() and p.name[:2].isdigit())


def learner_files(step):
    return sorted(p.name for p in (ROOT / "solutions" / step).iterdir() if p.is_file())


def put(step, name, which):
    """Puts learner file `name` of the copy's step from the starter or the solution."""
    src = ROOT / ("steps" if which == "starter" else "solutions") / step / name
    dst = WS / "steps" / step / name
    shutil.copyfile(src, dst)  # a new mtime: make sees the change


_edits = 0


def edit(step, name):
    """A harmless one-line edit: a comment appended to the learner file."""
    global _edits
    _edits += 1
    path = WS / "steps" / step / name
    with open(path, "a") as f:
        f.write(COMMENT.get(path.suffix, "# bench-loop edit {}\n").format(_edits))


def make_step(step, fresh=False):
    """Times `make stepN` in the copy; returns (seconds, verdict counts, slowest suites).
    The results file of the run before stays, as in a learner's loop (the
    runner starts the slowest suites of the last run first), unless fresh."""
    n = int(step[:2])
    res = WS / "build" / "results" / f"{step}-starter.json"
    if fresh and res.exists():
        res.unlink()
    before = res.stat().st_mtime_ns if res.exists() else None
    c0 = children_cpu()
    t0 = time.monotonic()
    proc = subprocess.run(["make", f"step{n}"], cwd=WS, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, env=clean_env())
    secs = time.monotonic() - t0
    cpu = children_cpu() - c0
    out = proc.stdout.decode("utf-8", "replace")
    try:
        if before is not None and res.stat().st_mtime_ns == before:
            raise OSError("no new results")
        r = json.loads(res.read_text())
    except (OSError, ValueError):
        return secs, cpu, "no result", [], out
    if r["build"] != "ok":
        return secs, cpu, "build failed", [], out
    suites = sorted(((s.get("seconds") or 0, s["name"]) for s in r["suites"]), reverse=True)
    return secs, cpu, f"{r['passed']}/{r['total']}" + (" ok" if r["ok"] else ""), suites[:2], out


def children_cpu():
    """User + system CPU time of the finished children (make and all it ran)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed(step, label, prepare, repeat, rows, fresh=False):
    runs = []
    for _ in range(repeat):
        prepare()
        runs.append(make_step(step, fresh))
    secs = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    last = runs[-1]
    rows.append({"what": label, "seconds": round(secs, 2), "cpu_seconds": round(cpu, 2),
                 "all_seconds": [round(r[0], 2) for r in runs],
                 "verdict": last[2], "slowest_suites": [[n, s] for s, n in last[3]]})
    slow = ", ".join(f"{n} {s:.1f} s" for s, n in last[3] if s >= 0.5)
    target = FIRST_TARGET_S if label.startswith("first") else EDIT_TARGET_S
    mark = "ok " if secs <= target else f">{target:g}s"
    print(f"  {label:<34} {secs:6.1f} {cpu:6.1f}  {mark:<4} {last[2]:<12}"
          + (f"  slowest suites: {slow}" if slow else ""), flush=True)


def bench_step(step, repeat, unfinished):
    rows = []
    files = learner_files(step)
    c_files = [f for f in files if f.endswith(".c")] or files
    print(f"{step}  (learner files: {' '.join(files)})", flush=True)
    print(f"  {'':<34} {'wall s':>6} {'CPU s':>6}  {'':<4} verdict", flush=True)
    for f in files:
        put(step, f, "starter")
    build = WS / "build" / "steps" / step
    timed(step, "first build (starter)",
          lambda: shutil.rmtree(build, ignore_errors=True), 1, rows, fresh=True)
    timed(step, f"edit {c_files[0]}, starter", lambda: edit(step, c_files[0]), repeat, rows)
    for f in files:
        put(step, f, "solution")
    make_step(step)  # builds the solution's files: not a one-line edit
    timed(step, f"edit {c_files[0]}, solution", lambda: edit(step, c_files[0]), repeat, rows)
    if unfinished:
        for f in files:
            def swap(f=f):
                for g in files:
                    put(step, g, "solution")
                make_step(step)  # back to the finished state, untimed
                put(step, f, "starter")
            timed(step, f"unfinished {f}", swap, repeat, rows)
    for f in files:
        put(step, f, "starter")
    return rows


def main():
    wanted = os.environ.get("BENCH_LOOP_STEPS", "").split()
    steps = [s for s in all_steps() if not wanted or s[:2].lstrip("0") in
             [w.lstrip("0") for w in wanted] or s in wanted]
    repeat = max(1, int(os.environ.get("BENCH_LOOP_REPEAT", "1")))
    unfinished = os.environ.get("BENCH_LOOP_UNFINISHED", "all") != "none"
    load = os.getloadavg()
    print(f"bench-loop: steps {' '.join(s[:2] for s in steps)}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.1f} at the start")
    setup = make_copy()
    print(f"  workspace copy in {WS.relative_to(ROOT)} (make shared: {setup:.1f} s)")
    results = {"cpus": os.cpu_count(), "load_average_start": load, "steps": {}}
    t0 = time.monotonic()
    for step in steps:
        results["steps"][step] = bench_step(step, repeat, unfinished)
    results["load_average_end"] = os.getloadavg()
    results["total_seconds"] = round(time.monotonic() - t0, 1)
    over = [(s, r["what"], r["seconds"]) for s, rows in results["steps"].items() for r in rows
            if r["seconds"] > (FIRST_TARGET_S if r["what"].startswith("first") else EDIT_TARGET_S)]
    print(f"load average {results['load_average_end'][0]:.1f} at the end; "
          f"{len(over)} run(s) over target (edit {EDIT_TARGET_S:g} s, first build "
          f"{FIRST_TARGET_S:g} s)")
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(f"results: {(OUT / 'results.json').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
