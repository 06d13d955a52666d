#!/usr/bin/env python3
"""test_class.py: the live classroom's tests (behind `make test-class`).

1. The service, against the class server built with ASan + UBSan: a wrong
   or missing class code is UNAUTHENTICATED with a message that says what
   to do; oversized and bogus fields, an unknown step and a flood from one
   learner get clear errors and leave the board as it was; a resend counts
   once; malformed HTTP gets a 4xx with a line of text and changes nothing;
   Watch streams the board; a restart (and a torn last record in the log)
   keeps every report; every stop is clean, with no sanitizer report.
2. The learners' path and the board in two browsers: three copies of the
   workspace run `make join` and `make step1`, and Debian's Chromium
   (through playwright-core) and Debian's Firefox ESR (through
   puppeteer-core, over WebDriver BiDi), both headless and open on the board
   at the same time, each see every report within one second, in English and
   in Korean; a click shows a learner's history.

Every process it starts is ended; every port is the kernel's choice.
Usage: test_class.py --server PATH --client PATH [--shots DIR] [--skip-browser]
Last line: "N passed, M failed". Only the standard library is used.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classlib import (BROWSERS, ROOT, STEPS, Browser, ClassServer, browser_ready, client,  # noqa: E402
                      copy_workspace, make_env, raw_http)

sys.path.insert(0, str(ROOT / "tools" / "course"))
from coursekit.term import green, red  # noqa: E402

SEEN_WITHIN_MS = 1000
passed = failed = 0


def check(cond, label, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"  {green('✓')} {label}", flush=True)
    else:
        failed += 1
        print(f"  {red('✗')} {label}", flush=True)
        for ln in str(detail).strip().splitlines()[:20]:
            print(f"      {ln}", flush=True)
    return cond


def report(cl, srv, code="__server__", **fields):
    base = {"report_id": f"r{time.time_ns()}", "learner": "ana", "step": STEPS[0], "passed": 3, "failed": 1,
            "first_failing": "choose_kind/test_choose_kind_unary",
            "section": "docs/en/steps/01-design.md#choosing-the-rpc-kind"}
    base.update(fields)
    args = [f"{k}={v}" for k, v in base.items() if v is not None]
    return client(cl, "report", srv.addr, srv.code if code == "__server__" else code, *args)


def timeless(board):
    """The board without what changes with the clock alone."""
    return [{k: v for k, v in l.items() if k != "stuck_seconds"} for l in board["learners"]]


def unchanged(srv, before, label):
    after = srv.board()
    check(after["reports"] == before["reports"] and timeless(after) == timeless(before),
          f"{label}: the board is unchanged", f"before {before['reports']} reports, after {after['reports']}")


# --------------------------------------------------------------------------
# 1. The service


def test_code(cl, srv):
    print("the class code, checked by the interceptor")
    before = srv.board()
    rc, out = report(cl, srv, code="WRONG1")
    check(rc == 1 and out.startswith("UNAUTHENTICATED: wrong class code") and "make join" in out,
          "a wrong code: UNAUTHENTICATED, saying to check the board and make join again", out)
    rc, out = report(cl, srv, code=None)
    check(rc == 1 and out.startswith("UNAUTHENTICATED: no class code") and "make join" in out,
          "no code: UNAUTHENTICATED, saying how to join", out)
    rc, out = client(cl, "board", srv.addr, "WRONG1")
    check(rc == 1 and out.startswith("UNAUTHENTICATED"), "Board with a wrong code: UNAUTHENTICATED", out)
    unchanged(srv, before, "after the refused calls")


def test_fields(cl, srv):
    print("bad fields: clear errors, nothing on the board")
    before = srv.board()
    cases = [
        ({"learner": "a" * 41}, "INVALID_ARGUMENT: the name is too long"),
        ({"learner": "   "}, "INVALID_ARGUMENT: the name is empty"),
        ({"learner": "ana\\nbob"}, "INVALID_ARGUMENT: the name holds a control character"),
        ({"learner": "\udcff"}, None),
        ({"step": "99-nope"}, "INVALID_ARGUMENT: unknown step '99-nope'"),
        ({"step": ""}, "INVALID_ARGUMENT: unknown step ''"),
        ({"first_failing": "x" * 201}, "INVALID_ARGUMENT: first_failing is too long"),
        ({"section": "s" * 201}, "INVALID_ARGUMENT: section is too long"),
        ({"build_error": "e" * 301}, "INVALID_ARGUMENT: build_error is too long"),
        ({"passed": -1}, "INVALID_ARGUMENT: passed and failed must be counts"),
        ({"failed": 100001}, "INVALID_ARGUMENT: passed and failed must be counts"),
        ({"at": 5}, "INVALID_ARGUMENT: at (the run's time)"),
        ({"report_id": "short"}, "INVALID_ARGUMENT: report_id must be 8-64 characters"),
        ({"report_id": "has space in it"}, "INVALID_ARGUMENT: report_id must be"),
        ({"source": "hack"}, "INVALID_ARGUMENT: source must be"),
        ({"build_error": "b" * 70000}, "RESOURCE_EXHAUSTED"),
    ]
    for fields, want in cases:
        rc, out = report(cl, srv, **fields)
        shown = {k: (v if len(str(v)) < 20 else f"{str(v)[:8]}… ({len(str(v))} bytes)") for k, v in fields.items()}
        ok = rc == 1 and (out.startswith(want) if want else out.startswith("INVALID_ARGUMENT"))
        check(ok, f"{shown}: {want or 'INVALID_ARGUMENT'}", out)
    unchanged(srv, before, "after 16 refused reports")


def test_resend_and_flood(cl, srv):
    print("a resend counts once; a flood from one learner is cut off")
    rid = f"resend{time.time_ns()}"
    rc1, out1 = report(cl, srv, report_id=rid, learner="resender")
    rc2, out2 = report(cl, srv, report_id=rid, learner="resender")
    board = srv.board()
    row = [l for l in board["learners"] if l["name"] == "resender"]
    check(rc1 == 0 and out1 == "OK reports=1 duplicate=0" and rc2 == 0 and out2 == "OK reports=1 duplicate=1"
          and row and row[0]["reports"] == 1,
          "the same report_id twice: acknowledged twice, on the board once", f"{out1}\n{out2}\n{row}")
    rc, out = client(cl, "report", srv.addr, srv.code, "--repeat", "70", f"report_id=flood{time.time_ns()}",
                     "learner=flooder", f"step={STEPS[0]}", "passed=1", "failed=1")
    ok = [o for o in out.splitlines() if o.startswith("OK ")]
    refused = [o for o in out.splitlines() if not o.startswith("OK ")]
    board = srv.board()
    row = [l for l in board["learners"] if l["name"] == "flooder"]
    # 60 at once, and one more for each second the burst took.
    check(60 <= len(ok) <= 65 and all(o.startswith("RESOURCE_EXHAUSTED: too many reports from flooder")
                                          for o in refused) and len(refused) >= 1 and row
          and row[0]["reports"] == len(ok),
          f"70 reports at once from one learner: {len(ok)} taken, the rest RESOURCE_EXHAUSTED "
          "(they stay queued on the learner's side)", "\n".join(refused[:3]) + f"\n{len(ok)} taken")
    rc, out = report(cl, srv, learner="calm")
    check(rc == 0, "another learner is not held up by the flood", out)


def test_http(srv):
    print("malformed HTTP: a 4xx with a line that says what was wrong")
    before = srv.board()
    cases = [
        (b"HELLO\r\n\r\n", b"400 Bad Request", b"GET /path HTTP/1.1"),
        (b"GET /board.json HTTP/1.1\r\nHost: x\r\n", b"400 Bad Request", b"blank line"),
        (b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\n\r\n", b"414 URI Too Long", b"over 1 KiB"),
        (b"GET / HTTP/1.1\r\nX: " + b"y" * 9000 + b"\r\n\r\n", b"431 Request Header Fields Too Large", b"8 KiB"),
        (b"POST /board.json HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", b"405 Method Not Allowed", b"only answers GET"),
        (b"GET /nothing-here HTTP/1.1\r\n\r\n", b"404 Not Found", b"the board is at /"),
        (b"GET /history?learner=%zz HTTP/1.1\r\n\r\n", b"400 Bad Request", b"URL-encoded"),
        (b"GET /history HTTP/1.1\r\n\r\n", b"400 Bad Request", b"/history?learner=NAME"),
        (b"GET /history?learner=nobody HTTP/1.1\r\n\r\n", b"404 Not Found", b"no learner of that name"),
        (b"GET /\x00 HTTP/1.1\r\n\r\n", b"400 Bad Request", b""),
    ]
    for req, status, text in cases:
        ans = raw_http(srv.http, req)
        first = ans.split(b"\r\n", 1)[0]
        check(first == b"HTTP/1.1 " + status and text in ans,
              f"{req[:40]!r}{'…' if len(req) > 40 else ''} -> {status.decode()}", ans[:300])
    ans = raw_http(srv.http, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    check(ans.startswith(b"HTTP/1.1 200 OK") and b"Content-Security-Policy: default-src 'self'" in ans
          and b'<script src="/board.js"' in ans and b"https://" not in ans,
          "GET /: the board page, nothing from outside the machine", ans[:300])
    for f in ("board.js", "board.css"):
        body = (ROOT / "tools" / "class" / "web" / f).read_text()
        check("http://" not in body and "https://" not in body and "@font-face" not in body,
              f"{f}: no address outside the machine, no web font")
    unchanged(srv, before, "after the malformed requests")


def test_watch(cl, srv):
    print("Watch: the board, then the board again after a change")
    env = dict(os.environ, CLASS_CODE=srv.code)
    w = subprocess.Popen([str(cl), "watch", "--addr", srv.addr, "--updates", "2"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = w.stdout.readline()  # the table's head: the first board has come
        rc, out = report(cl, srv, learner="watched", passed=5, failed=0, first_failing="", section="")
        rest, _ = w.communicate(timeout=20)
    finally:
        if w.poll() is None:
            w.kill()
            w.wait()
    check(first.startswith("learner") and w.returncode == 0 and "watched" in rest and "5/5*" in rest,
          "class_client watch --updates 2: the second board shows the new report (5/5*, done)",
          first + rest)


def test_restart(cl, srv):
    print("a restart keeps every report, and the class code")
    before = srv.board()
    code = srv.code
    rc, sani = srv.stop()
    check(rc == 0 and not sani, "SIGTERM: the server stops cleanly, no ASan/UBSan/LSan report",
          f"exit status {rc}\n" + "\n".join(sani))
    log = srv.data / "reports.log"
    size = log.stat().st_size
    with open(log, "ab") as f:  # a crash in the middle of a write
        f.write(b"\x40\x00\x00\x00\x12\x34")
    srv.start()
    after = srv.board()
    check(srv.code == code, "the same class code after the restart (learners need not join again)")
    check(after["reports"] == before["reports"] and timeless(after) == timeless(before),
          f"the same board after the restart: {after['reports']} reports, {len(after['learners'])} learners",
          f"before {before['reports']}, after {after['reports']}")
    check(log.stat().st_size == size and any("torn last record" in ln for ln in srv.out),
          "a torn record at the end of the log is cut off, and said so", "".join(srv.out))
    rc, out = report(cl, srv, learner="after-restart")
    check(rc == 0 and srv.board()["reports"] == before["reports"] + 1, "reports are taken after the restart",
          out)


# --------------------------------------------------------------------------
# 2. Learners through make, and the board in Chromium and Firefox


def run_make(ws, *args, timeout=300):
    t0 = time.monotonic()
    p = subprocess.run(["make", *args], cwd=str(ws), env=make_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return p, time.monotonic() - t0


LEARNERS = [("Ana Kim", "en"), ("Bo Park", "en"), ("김민지", "ko")]


def start_learners(tmp):
    """Three learners' clones, each building step 1 as its learner did before
    class (that first build is not what the test measures). The builds start
    now and run while the service tests do; returns (clones, builds)."""
    spaces, builds = [], []
    for i in range(len(LEARNERS)):
        ws = tmp / f"learner{i + 1}"
        copy_workspace(ws)
        spaces.append(ws)
        builds.append(subprocess.Popen(["make", "step1"], cwd=str(ws), env=make_env(), stdout=subprocess.DEVNULL,
                                       stderr=subprocess.STDOUT))
    return spaces, builds


def start_browsers(srv, shots):
    """The board open in each browser (Chromium, Firefox): they start now and
    get ready while the service tests and the learners' builds run."""
    print("the board in headless Chromium and Firefox (they start now, ready by the learners' part)")
    browsers = []
    for kind, (title, exe, _, npm) in BROWSERS.items():
        why = browser_ready(kind)
        if check(why is None, f"the browser test can run in {title} ({exe}, node, {npm})", why):
            browsers.append(Browser(srv.http + "/", shots, kind))
    return browsers


def close_browsers(browsers):
    t2 = time.monotonic()
    for br in [br for br in browsers if not br.closed]:
        left = br.close()
        check(not left, f"{br.title} closed: every process it started has ended", f"killed: {left}")
    print(f"    (closing the browsers: {time.monotonic() - t2:.1f} s)")


def test_learners_and_browser(srv, spaces, builds, browsers):
    print("three learners through make join + make step1; the board in Chromium and Firefox at once")
    learners = LEARNERS
    if not browsers:
        return
    t1 = time.monotonic()
    codes = [b.wait(timeout=600) for b in builds]
    check(codes == [0, 0, 0], f"3 copies of the workspace, step 1 built in each (waited "
          f"{time.monotonic() - t1:.1f} s more for the builds)", codes)
    for br in browsers:
        ev = br.expect("ready", timeout=60)
        print(f"    ({br.title} {ev['version']}: the board live {ev['at'] / 1000 - br.started:.1f} s after it started)")
    for (name, lang), ws in zip(learners, spaces):
        language = "English" if lang == "en" else "Korean"
        for br in browsers:
            br.send(cmd="lang", lang=lang)
        for br in browsers:
            ev = br.expect("lang")
            check(ev["heading"] == ("Learner" if lang == "en" else "학습자")
                  and ev["title"] == ("Class board" if lang == "en" else "수업 보드"),
                  f"{br.title}: the board in {language}: '{ev['title']}', '{ev['heading']}'", ev)
        p, secs = run_make(ws, "join", f"CLASS={srv.addr}", f"CODE={srv.code}", f"NAME={name}")
        check(p.returncode == 0 and "The class server answered" in p.stdout,
              f"{name}: make join ({secs:.1f} s)", p.stdout)
        for br in browsers:
            br.send(cmd="watch", name=name)
        p, secs = run_make(ws, "step1")
        ended = time.time()
        check(p.returncode == 0 and "Step 1" in p.stdout, f"{name}: make step1 ({secs:.1f} s)", p.stdout[-800:])
        for br in browsers:
            ev = br.expect("seen", timeout=15)
            late_ms = ev["at"] - ended * 1000
            check(ev["name"] == name and late_ms <= SEEN_WITHIN_MS and ev["cell"].startswith("3/36"),
                  f"{br.title}: {name} on the board {max(0, late_ms):.0f} ms after make step1 ended, cell "
                  f"'{ev['cell']}' ({language} board)", ev)
    print(f"    (three learners done {time.monotonic() - t1:.1f} s after the service tests)")
    for br in browsers:
        br.send(cmd="history", name="Ana Kim")
        br.send(cmd="lists")
    for br in browsers:
        ev = br.expect("history")
        check(ev["rows"] >= 1 and "choose_kind/test_choose_kind_unary" in ev["text"],
              f"{br.title}: a click on a name shows that learner's history", ev)
        ev = br.expect("lists")
        check("3" in ev["tests"] and "choose_kind/test_choose_kind_unary" in ev["tests"]
              and all(n in ev["stuck"] for n, _ in learners),
              f"{br.title}: the side lists: the test all three fail now, and each of them as stuck", ev)
    close_browsers(browsers)
    print(f"    (the browser part: {time.monotonic() - t1:.1f} s)")
    for ws in spaces:
        p, _ = run_make(ws, "class-status")
        check(p.returncode == 0 and "The class server answers." in p.stdout and "Nothing is queued" in p.stdout,
              f"make class-status in {ws.name}: nothing left in the queue", p.stdout)
    out = spaces[0] / "exported"
    p, _ = run_make(spaces[0], "class-export", f"DIR={out}", f"BOARD={srv.http}")
    files = sorted(f.name for f in out.glob("*.json")) if out.is_dir() else []
    table = [ln for ln in p.stdout.splitlines() if ln.startswith(("Ana Kim", "Bo Park", "김민지"))]
    check(p.returncode == 0 and len(files) == 3 and len(table) == 3
          and all("3/36" in ln and "01: test_choose_kind_unary" in ln for ln in table),
          "make class-export: a results.json per learner, and the class-report table (3/36, now at "
          "01: test_choose_kind_unary)", p.stdout)
    p2, _ = run_make(spaces[0], "class-report", f"DIR={out}")
    check(p2.returncode == 0 and [ln for ln in p2.stdout.splitlines() if ln.startswith(("Ana Kim", "Bo Park",
                                                                                          "김민지"))] == table,
          "make class-report on the exported folder prints the same rows", p2.stdout)
    p, _ = run_make(spaces[0], "leave")
    check(p.returncode == 0 and not (spaces[0] / ".progress" / "class.json").exists(),
          "make leave: the settings are gone", p.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--shots", default=str(ROOT / "build" / "class" / "shots"))
    ap.add_argument("--skip-browser", action="store_true")
    ap.add_argument("--wrap", default="", help="a command the server runs under, e.g. valgrind")
    a = ap.parse_args()
    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="class-test-"))
    srv, board, builds, browsers = None, None, [], []
    try:
        if not a.skip_browser:  # the learners' builds and the browsers start first: they take longest
            spaces, builds = start_learners(tmp)
            board = ClassServer(a.server, tmp / "data2", wrap=a.wrap.split())
            Path(a.shots).mkdir(parents=True, exist_ok=True)
            browsers = start_browsers(board, Path(a.shots))
        srv = ClassServer(a.server, tmp / "data", wrap=a.wrap.split())
        for test in (test_code, test_fields, test_resend_and_flood, test_http, test_watch, test_restart):
            t1 = time.monotonic()
            test(*((srv,) if test is test_http else (a.client, srv)))
            print(f"    ({time.monotonic() - t1:.1f} s)")
        rc, sani = srv.stop()
        check(rc == 0 and not sani, "the server stops cleanly again, no sanitizer report", "\n".join(sani))
        if board is not None:
            test_learners_and_browser(board, spaces, builds, browsers)
            browsers = []
            rc, sani = board.stop()
            check(rc == 0 and not sani, "after the browser test the server stops cleanly, no sanitizer report",
                  "\n".join(sani))
    except Exception as e:  # a broken harness is a failure, never a crash without a summary
        check(False, f"the test harness stopped: {type(e).__name__}: {e}")
    finally:
        if browsers:  # not closed yet: the harness stopped
            close_browsers(browsers)
        for s in (srv, board):
            if s is not None:
                s.kill()
        for b in builds:
            if b.poll() is None:
                b.kill()
                b.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"({time.monotonic() - t0:.1f} s)")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
