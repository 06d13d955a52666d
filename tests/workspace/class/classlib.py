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


def browser_ready():
    """None when the browser test can run, else why not."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (make setup installs the chromium package)"
    if shutil.which("node") is None:
        return "node is missing (make setup installs nodejs)"
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        return "tools/browser/node_modules is missing (make browser-deps runs npm ci there)"
    return None


class Browser:
    """tests/workspace/class/board_browser.mjs: opens the board, prints a JSON line per
    event ("seen" when a learner's row shows a report), takes commands on
    stdin (one JSON object a line)."""

    def __init__(self, url, shots):
        env = dict(os.environ, NODE_PATH=str(BROWSER_DIR / "node_modules"))
        self.proc = subprocess.Popen(["node", str(ROOT / "tests" / "workspace" / "class" / "board_browser.mjs"), url,
                                      CHROMIUM, str(shots)], cwd=str(BROWSER_DIR), env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)

    def send(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def expect(self, kind, timeout=30):
        deadline = time.monotonic() + timeout
        lines = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event") == kind:
                return ev
            if ev.get("event") == "error":
                raise RuntimeError(ev.get("message"))
        raise RuntimeError(f"no '{kind}' from the browser; it said:\n" + "".join(lines[-20:]))

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send(cmd="quit")
                self.proc.stdin.close()
                self.proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
