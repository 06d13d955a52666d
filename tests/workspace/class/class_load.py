#!/usr/bin/env python3
"""class_load.py: the live classroom under a class's load (`make class-load`,
not part of make test: it takes about four minutes).

1. 60 simulated learners each report every 5 s for 2 minutes, the way a
   joined workspace does: a queued file (coursekit.classroom.enqueue) and a
   detached `class_client send`. The class server is stopped and started
   again (same ports, same data) in the middle, down for 5 s (--down). At the end every learner's
   queue is sent once more (as make class-status does), and the board must
   hold every report, none twice.
2. The cost to a learner: `make step1` in a copy of the workspace, timed
   not joined, and joined with the class server up, down (nothing listens
   on the port) and unreachable (an address that never answers), in
   interleaved rounds. What joining adds to each of those runs (queueing
   the result, starting the sender: timed inside the run by
   coursekit.classroom, CLASS_HOOK_TIMES) must stay under 50 ms in every
   run; the whole runs' times are shown too, not judged (on a busy machine
   they spread far wider than 50 ms).

Usage: class_load.py --server PATH --client PATH [--learners 60] [--every 5]
                     [--seconds 120] [--down 5] [--rounds 10] [--skip-load] [--skip-cost]
Last line: "N passed, M failed". Only the standard library is used.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classlib import ROOT, STEPS, ClassServer, copy_workspace, make_env  # noqa: E402

sys.path.insert(0, str(ROOT / "tools" / "course"))
from coursekit import classroom  # noqa: E402
from coursekit.term import green, red  # noqa: E402

LIMIT_MS = 50
UNREACHABLE = "192.0.2.1:50070"   # TEST-NET-1 (RFC 5737): packets there go nowhere
passed = failed = 0


def check(cond, label, detail=""):
    global passed, failed
    passed, failed = passed + bool(cond), failed + (not cond)
    print(f"  {green('✓') if cond else red('✗')} {label}", flush=True)
    if not cond and detail:
        for ln in str(detail).splitlines()[:20]:
            print(f"      {ln}")
    return cond


# --------------------------------------------------------------------------
# 1. Sixty learners, one restart


class Learner:
    def __init__(self, i, tmp, client, srv):
        self.name = f"learner-{i:02d}"
        self.queue = tmp / "queues" / self.name
        self.client, self.srv = client, srv
        self.ids = []
        self.senders = []

    def run_step(self, n):
        step = STEPS[n % len(STEPS)]
        rid = uuid.uuid4().hex
        self.ids.append(rid)
        classroom.enqueue(self.queue, {"report_id": rid, "learner": self.name, "step": step, "passed": n,
                                       "failed": 3, "first_failing": f"suite/test_{n % 4}",
                                       "section": f"docs/en/steps/{step}.md#part-{n % 4}", "at": int(time.time()),
                                       "source": "step"})
        self.send(wait=False)

    def send(self, wait):
        cmd = [str(self.client), "send", "--addr", self.srv.addr, "--queue", str(self.queue),
               "--timeout-ms", "3000"]
        env = dict(os.environ, CLASS_CODE=self.srv.code)
        p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        if wait:
            p.wait(timeout=60)
        else:
            self.senders.append(p)

    def reap(self):
        self.senders = [p for p in self.senders if p.poll() is None]


def load_phase(a, tmp):
    print(f"{a.learners} learners, a report every {a.every} s each for {a.seconds} s, "
          "the server restarted in the middle")
    srv = ClassServer(a.server, tmp / "data", log=tmp / "server.log")
    try:
        return load_run(a, tmp, srv)
    finally:
        srv.kill()


def restart(srv, down, outcome, at):
    """The teacher's Ctrl-C and `make class` again, `down` seconds later."""
    t1 = time.monotonic()
    outcome["rc"], _ = srv.stop()
    time.sleep(down)
    srv.restart_on(srv.addr.rsplit(":", 1)[1], srv.http.rsplit(":", 1)[1])
    outcome["down_ms"], outcome["at"] = (time.monotonic() - t1) * 1000, at


def load_run(a, tmp, srv):
    learners = [Learner(i, tmp, a.client, srv) for i in range(a.learners)]
    t0 = time.monotonic()
    # Learners start spread over the first interval, as a room does.
    due = [(t0 + a.every * i / a.learners, i) for i in range(a.learners)]
    restarted = None
    outcome = {}
    runs = 0
    while True:
        now = time.monotonic()
        if not restarted and now - t0 >= a.seconds / 2:
            # In a thread: the learners keep running while the server is down.
            restarted = threading.Thread(target=restart, args=(srv, a.down, outcome, now - t0))
            restarted.start()
        due.sort()
        when, i = due[0]
        if when - t0 >= a.seconds:
            break
        if when > now:
            time.sleep(min(when - now, 0.05))
            continue
        learners[i].run_step(len(learners[i].ids))
        runs += 1
        due[0] = (when + a.every, i)
        if runs % 50 == 0:
            for l in learners:
                l.reap()
    restarted.join()
    check(outcome.get("rc") == 0, f"restart at {outcome.get('at', 0):.0f} s: stopped cleanly, down for "
          f"{outcome.get('down_ms', 0):.0f} ms, back on the same ports", outcome)
    for l in learners:  # the senders still at work finish (bounded by their deadline)
        for p in l.senders:
            p.wait(timeout=60)
    queued = sum(len(list(l.queue.glob("*.rep"))) for l in learners)
    for l in learners:  # what is still queued goes now, as with make class-status
        l.send(wait=True)
    left = sum(len(list(l.queue.glob("*.rep"))) for l in learners)
    print(f"    ({runs} runs in {time.monotonic() - t0:.0f} s; {queued} report(s) were still queued at "
          f"the end and sent by a last round)")
    board = srv.board()
    total = sum(len(l.ids) for l in learners)
    rows = {r["name"]: r for r in board["learners"]}
    check(left == 0, f"every queue is empty at the end ({left} left)")
    check(board["reports"] == total == runs, f"the board holds every report: {board['reports']} of {total}")
    wrong = [l.name for l in learners if rows.get(l.name, {}).get("reports") != len(l.ids)]
    check(not wrong, f"every learner's count is right ({len(learners) - len(wrong)} of {len(learners)})",
          ", ".join(wrong[:10]))
    dup = late = 0
    for l in learners:
        with urllib.request.urlopen(f"{srv.http}/history?learner={urllib.parse.quote(l.name)}", timeout=10) as r:
            entries = json.loads(r.read())["reports"]
        ids = [e["id"] for e in entries]
        dup += len(ids) - len(set(ids)) + len(set(l.ids) ^ set(ids))
        late += sum(e["received"] - e["at"] >= 2 for e in entries)
    check(dup == 0, "none twice: every learner's history holds each of its report ids exactly once")
    print(f"    ({late} report(s) reached the board 2 s or more after their run: queued across the restart "
          "or behind a busy sender)")
    rc, sani = srv.stop()
    check(rc == 0, "the server stops cleanly at the end")
    return srv


# --------------------------------------------------------------------------
# 2. The cost to a learner's make step1


def timed_step(ws, hook_times):
    t0 = time.monotonic()
    p = subprocess.run(["make", "step1"], cwd=str(ws), env=dict(make_env(), CLASS_HOOK_TIMES=str(hook_times)),
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    ms = (time.monotonic() - t0) * 1000
    if p.returncode != 0:
        raise RuntimeError("make step1 failed in the copy")
    return ms


def join(ws, addr, code):
    cfg = ws / ".progress" / "class.json"
    if addr is None:
        cfg.unlink(missing_ok=True)
        return
    cfg.parent.mkdir(parents=True, exist_ok=True)
    # What make join writes (it would also try the server, which the
    # unreachable case must not wait for here).
    cfg.write_text(json.dumps({"class": addr, "code": code, "name": "timer"}))


def hook_cost(ws, n=50):
    """The hook's own time in the copy: queue a result and start the sender."""
    code = ("import sys, time, json\nsys.path.insert(0, 'tools/course')\nfrom coursekit import classroom, runner\n"
            "r = json.load(open('build/results/01-design-starter.json'))\nclassroom.source = 'step'\nts = []\n"
            f"for i in range({n}):\n    t0 = time.perf_counter()\n    classroom.record(r)\n    classroom.flush()\n"
            "    ts.append((time.perf_counter() - t0) * 1000)\n"
            "print(json.dumps(sorted(ts)))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=str(ws), stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    return json.loads(out)


def cost_phase(a, tmp):
    print(f"the cost to a learner: make step1, {a.rounds} interleaved rounds per case")
    ws = tmp / "learner"
    copy_workspace(ws)
    subprocess.run(["make", "step1"], cwd=str(ws), env=make_env(), stdout=subprocess.DEVNULL,
                   stderr=subprocess.STDOUT, check=True)  # the first build is not what we time
    srv = ClassServer(a.server, tmp / "data-cost", log=tmp / "server-cost.log")
    # A port nothing listens on: bound, then closed.
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    down = f"127.0.0.1:{s.getsockname()[1]}"
    s.close()
    cases = [("not joined", None), ("server up", srv.addr), ("server down", down),
             ("unreachable", UNREACHABLE)]
    times = {c: [] for c, _ in cases}
    inside = {c: tmp / f"hook-{i}.txt" for i, (c, _) in enumerate(cases)}
    try:
        for _ in range(a.rounds):
            for label, addr in cases:
                join(ws, addr, srv.code)
                times[label].append(timed_step(ws, inside[label]))
        join(ws, srv.addr, srv.code)
        hook = hook_cost(ws)
    finally:
        srv.stop()
    # What joining adds inside each real make step1: queueing the result and
    # starting the sender (coursekit.classroom's own clock).
    for label, _ in cases[1:]:
        ms = [float(x) for x in inside[label].read_text().split()] if inside[label].exists() else []
        check(len(ms) == a.rounds and max(ms) <= LIMIT_MS,
              f"{label:<12} the hook inside make step1: median {statistics.median(ms) if ms else 0:.1f} ms, "
              f"max {max(ms) if ms else 0:.1f} ms over {len(ms)} runs", ms)
    # The whole make step1, for the record: on a busy machine its spread is
    # far wider than 50 ms, so the bound is checked on the hook's own time
    # (above), and these figures are shown, not judged.
    base, base_med = min(times["not joined"]), statistics.median(times["not joined"])
    for label, _ in cases:
        fast, med = min(times[label]), statistics.median(times[label])
        print(f"    make step1, {label:<12} fastest {fast:6.0f} ms, median {med:6.0f} ms, slowest "
              f"{max(times[label]):6.0f} ms" + ("" if label == "not joined" else
                                                f"  ({fast - base:+.0f} ms, median {med - base_med:+.0f} ms)"))
    check(statistics.median(hook) <= LIMIT_MS,
          f"the hook itself (queue one result, start the sender): median {statistics.median(hook):.1f} ms, "
          f"max {max(hook):.1f} ms over {len(hook)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--learners", type=int, default=60)
    ap.add_argument("--every", type=float, default=5.0)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--down", type=float, default=5.0, help="seconds the server is down at the restart")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--skip-load", action="store_true")
    ap.add_argument("--skip-cost", action="store_true")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="class-load-"))
    t0 = time.monotonic()
    try:
        if not a.skip_load:
            load_phase(a, tmp)
        if not a.skip_cost:
            cost_phase(a, tmp)
    except Exception as e:
        check(False, f"the load test stopped: {type(e).__name__}: {e}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"({time.monotonic() - t0:.0f} s)")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
