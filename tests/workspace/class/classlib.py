"""classlib.py: what the class server's tests and its load test share: a
class server process, the one-shot client, the board over HTTP, and
learners' copies of the workspace. Only the standard library is used."""

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STEPS = sorted(p.name for p in (ROOT / "steps").iterdir() if p.is_dir() and p.name[:2].isdigit())
READY_TIMEOUT = 30     # seconds for the server's first lines (an ASan build starts slower)
STOP_TIMEOUT = 15      # seconds for a clean stop after SIGTERM
BROWSER_DIR = ROOT / "tools" / "browser"
CHROMIUM = "/usr/bin/chromium"
SANITIZER_RE = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "WARNING: ThreadSanitizer",
                "Invalid read", "Invalid write", "uninitialised value")


class ServerError(Exception):
    pass


class ClassServer:
    """A class server on 127.0.0.1 with kernel-chosen ports (gRPC and HTTP);
    addr, http and code once it has said them."""

    def __init__(self, binary, data, code=None, log=None, wrap=()):
        self.binary, self.data, self.code_arg = str(binary), Path(data), code
        self.wrap = list(wrap)  # e.g. valgrind and its options
        self.log_path = Path(log or (self.data.parent / (self.data.name + ".server.log")))
        self.proc = None
        self.ports = ("0", "0")
        self.start()

    def restart_on(self, grpc_port, http_port):
        """Starts again on the given ports (after stop): a restart the
        learners' settings survive."""
        self.ports = (grpc_port, http_port)
        self.start()

    def start(self):
        args = self.wrap + [self.binary, "--steps", ",".join(STEPS), "--listen", f"127.0.0.1:{self.ports[0]}",
                "--http", f"127.0.0.1:{self.ports[1]}",
                "--data", str(self.data), "--web", str(ROOT / "tools" / "class" / "web")]
        if self.code_arg:
            args += ["--code", self.code_arg]
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=66",
                   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=66")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, env=env, cwd=str(ROOT),
                                     bufsize=0)  # unbuffered: select() sees every line
        self.out = []
        deadline = time.monotonic() + READY_TIMEOUT
        seen = {}
        while "code" not in seen:
            if time.monotonic() > deadline:
                self.kill()
                raise ServerError(f"no 'class code' line within {READY_TIMEOUT} s")
            if not select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))[0]:
                continue
            line = self.proc.stdout.readline().decode("utf-8", "replace")
            if not line:
                self.proc.wait()
                raise ServerError(f"the server exited ({self.proc.returncode}) before it was ready; "
                                  f"see {self.log_path}")
            self.out.append(line)
            parts = line.split()
            if line.startswith("grpc listening on "):
                seen["grpc"] = parts[3]
            elif line.startswith("http listening on "):
                seen["http"] = parts[3]
            elif line.startswith("class code "):
                seen["code"] = parts[2]
            elif line.startswith("reports on the board: "):
                pass
        self.addr, self.http, self.code = seen["grpc"], "http://" + seen["http"], seen["code"]
        # The rest of stdout (the welcome text) is read by a thread-less drain:
        # the pipe holds far more than the server ever prints.

    def stop(self):
        """SIGTERM; returns (exit status, sanitizer lines of the log)."""
        if self.proc is None:
            return 0, []
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = "did not stop within %d s" % STOP_TIMEOUT
        self.proc.stdout.close()
        self.proc = None
        self.log.close()
        text = self.log_path.read_text(errors="replace")
        return rc, [ln for ln in text.splitlines() if any(s in ln for s in SANITIZER_RE)]

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    # ---- talking to it

    def board(self):
        with urllib.request.urlopen(self.http + "/board.json", timeout=10) as r:
            return json.loads(r.read().decode("utf-8"))


def client(binary, cmd, addr, code, *args, timeout=30):
    env = dict(os.environ)
    env.pop("CLASS_CODE", None)
    if code is not None:
        env["CLASS_CODE"] = code
    p = subprocess.run([str(binary), cmd, "--addr", addr, *args], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return p.returncode, p.stdout.strip()


def raw_http(http, data, timeout=10):
    """Sends raw bytes to the board's port; returns the answer's bytes."""
    host, port = http[len("http://"):].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)  # the whole request is sent: the server sees its end at once
        except OSError:
            pass  # the server answered (and closed) before reading it all
        chunks = []
        while True:
            try:
                c = s.recv(65536)
            except ConnectionResetError:
                break
            if not c:
                break
            chunks.append(c)
    return b"".join(chunks)


def copy_workspace(dest):
    """A learner's clone: the workspace's files (as git lists them, without
    build/ and .progress/) plus the already built runtime, code generator and
    class client, so that make join builds nothing (their times are kept, so
    make sees them up to date)."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], stdout=subprocess.PIPE, check=True).stdout
    for rel in sorted(set(listed.decode().split("\0")) - {""}):
        src = ROOT / rel
        if src.is_file() and not src.is_symlink():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    for sub in ("lib", "tools", "class"):
        if (ROOT / "build" / sub).is_dir():
            shutil.copytree(ROOT / "build" / sub, dest / "build" / sub, symlinks=True,
                            ignore=shutil.ignore_patterns("asan", "load", "test", "shots"))


def make_env():
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES",
                                                            "MAKELEVEL", "CLASS_CODE")}


# The browsers the board is tested in: Debian's packages (tools/setup/packages.tsv),
# each driven by its npm package in tools/browser (tests/workspace/class/board_browser.mjs).
BROWSERS = {
    "chromium": ("Chromium", "/usr/bin/chromium", "chromium", "playwright-core"),
    "firefox": ("Firefox", "/usr/bin/firefox-esr", "firefox-esr", "puppeteer-core"),
}


def browser_ready(kind="chromium"):
    """None when the board can be tested in browser KIND, else why not."""
    title, exe, deb, npm = BROWSERS[kind]
    if not Path(exe).exists():
        return f"{exe} is missing (make setup installs the {deb} package)"
    if shutil.which("node") is None:
        return "node is missing (make setup installs nodejs)"
    if not (BROWSER_DIR / "node_modules" / npm).is_dir():
        return f"tools/browser/node_modules/{npm} is missing (make browser-deps runs npm ci there)"
    return None


def _processes():
    """{pid: (parent pid, start time)} of every live process, from /proc."""
    found = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path("/proc", d, "stat").read_text()
        except OSError:
            continue
        f = stat.rsplit(")", 1)[1].split()  # state, ppid, ... (the name may hold spaces)
        if f[0] != "Z":
            found[int(d)] = (int(f[1]), f[19])
    return found


def _descendants(pid):
    """{pid: start time} of the processes under PID (the browser and its helpers)."""
    procs, found, todo = _processes(), {}, [pid]
    while todo:
        parent = todo.pop()
        for p, (ppid, start) in procs.items():
            if ppid == parent and p not in found:
                found[p] = start
                todo.append(p)
    return found


class Browser:
    """tests/workspace/class/board_browser.mjs in browser KIND (chromium or
    firefox): opens the board, prints a JSON line per event ("seen" when a
    learner's row shows a report), takes commands on stdin (one JSON object
    a line). close() ends it and every process it started."""

    def __init__(self, url, shots, kind="chromium"):
        self.kind, (self.title, exe, _, _) = kind, BROWSERS[kind]
        env = dict(os.environ, NODE_PATH=str(BROWSER_DIR / "node_modules"))
        self.proc = subprocess.Popen(["node", str(ROOT / "tests" / "workspace" / "class" / "board_browser.mjs"), url,
                                      kind, exe, str(shots)], cwd=str(BROWSER_DIR), env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.started = time.time()  # to compare with the times it prints (Date.now())
        self.closed = False
        self.buf = b""
        self.said = []  # every line it printed, for the failure messages
        self.seen = {}  # its processes, by the last look (see close)

    def send(self, **cmd):
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        self.proc.stdin.flush()

    def _line(self, deadline):
        """The next line it prints, or None at the deadline or its end."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def expect(self, kind, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is None:
                self.seen.update(_descendants(self.proc.pid))
            line = self._line(deadline)
            if line is None:
                break
            self.said.append(line + "\n")
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event") == kind:
                return ev
            if ev.get("event") == "error":
                raise RuntimeError(f"{self.title}: {ev.get('message')}")
        why = "it ended" if self.proc.poll() is not None else f"not within {timeout} s"
        raise RuntimeError(f"{self.title}: no '{kind}', {why}; it said:\n" + "".join(self.said[-20:]))

    def close(self):
        """Asks it to quit (SIGTERM, then SIGKILL, when it does not);
        then ends whatever of its processes outlived it. Returns the
        browser processes that had to be killed (none when all is well)."""
        if self.closed:
            return []
        self.closed = True
        if self.proc.poll() is None:
            self.seen.update(_descendants(self.proc.pid))
            try:
                self.send(cmd="quit")
                self.proc.stdin.close()
                self.proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
                    self.proc.send_signal(sig)  # SIGTERM: the driver closes the browser
                    try:
                        self.proc.wait(timeout=wait)
                        break
                    except subprocess.TimeoutExpired:
                        pass
        self.proc.stdout.close()
        deadline = time.monotonic() + 5  # a browser's helpers end just after it
        while True:
            procs = _processes()
            left = [p for p, start in self.seen.items() if p in procs and procs[p][1] == start]
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return left
