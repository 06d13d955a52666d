#!/usr/bin/env python3
"""demo.py: the reference server and client, end to end, behind `make demo`.

Builds the reference solutions of step 4 (the server program) and step 5
(the command-line client), starts the server on a free port of 127.0.0.1,
and runs the client through every kind of call: MyService's four methods,
then one use case of each kind (GetUser with its errors, notifications,
a file upload, a chat with two members). It prints what it calls and what
comes back, checks every answer against what the course's services are
defined to return (CONTRIBUTING.md#what-the-courses-services-do), then stops the server with
SIGTERM and checks that it exits 0.

  demo.py            the transcript; exit 0 when every check passed
  demo.py --test     the same, ending with the line "N passed, M failed"
                     (make test-demo)
  demo.py --no-build use the programs already built

Only the standard library is used. Colours only on a terminal (NO_COLOR
turns them off).
"""

import queue
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "tools" / d) for d in ("course", "checks")]  # tools/: the coursekit package
from coursekit.term import bold, dim, green, red  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SERVER_STEP, CLIENT_STEP = "04-server", "05-client"
SERVER = ROOT / "build" / "steps" / SERVER_STEP / "solution" / "server"
CLIENT = ROOT / "build" / "steps" / CLIENT_STEP / "solution" / "client"
UPLOAD = ROOT / "README.md"

START_TIMEOUT = 15     # seconds for the server to print its listening line
CALL_TIMEOUT = 30      # seconds for one client command
STOP_TIMEOUT = 20      # seconds for the server to exit after SIGTERM
LINE_TIMEOUT = 10      # seconds for one line of chat to come back

def say(text=""):
    print(text, flush=True)


class DemoError(Exception):
    """Something that stops the demo: a build, a server that does not start."""


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, ok, label, why=""):
        """Prints one result line; returns ok."""
        if ok:
            self.passed += 1
        else:
            self.failed.append(label)
        mark = green("✓") if ok else red("✗")
        say(f"   {mark} {label}")
        if not ok and why:
            for ln in why.splitlines():
                say(red(f"       {ln}"))
        return ok


# --------------------------------------------------------------------------
# Building


def build(step, program):
    """Builds a step's program in solution mode (into build/steps/NN/solution)."""
    if not (ROOT / "solutions" / step).is_dir():
        raise DemoError(f"solutions/{step} is missing: the demo runs the reference "
                        f"solution of step {step[:2].lstrip('0')}.")
    cmd = ["make", "--no-print-directory", "-C", f"steps/{step}", "SOLUTION=1", str(program)]
    say(dim(f"   $ make -C steps/{step} SOLUTION=1 {program.relative_to(ROOT)}"))
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0 or not program.exists():
        tail = "\n".join("     " + ln for ln in proc.stdout.strip().splitlines()[-25:])
        raise DemoError(f"the reference solution of steps/{step} does not build:\n{tail}")


# --------------------------------------------------------------------------
# Processes


class Lines:
    """Reads a pipe line by line on a thread, so that nothing ever blocks on
    a full pipe and a reader can wait for a line with a time limit."""

    def __init__(self, pipe):
        self.q = queue.Queue()
        self.all = []
        self.t = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self.t.start()

    def _run(self, pipe):
        for ln in iter(pipe.readline, ""):
            self.all.append(ln.rstrip("\n"))
            self.q.put(ln.rstrip("\n"))
        self.q.put(None)

    def next(self, timeout):
        """The next line, or None at the end or after timeout seconds."""
        try:
            return self.q.get(timeout=timeout)
        except queue.Empty:
            return None


class Server:
    def __init__(self):
        self.proc = None
        self.out = self.err = None
        self.target = None

    def start(self):
        cmd = [str(SERVER), "--listen", "127.0.0.1:0"]
        say(dim(f"   $ {SERVER.relative_to(ROOT)} --listen 127.0.0.1:0"))
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.out, self.err = Lines(self.proc.stdout), Lines(self.proc.stderr)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            line = self.out.next(deadline - time.monotonic())
            if line is None:
                break
            m = re.fullmatch(r"listening on (\S+):(\d+)", line.strip())
            if m:
                self.target = f"{m.group(1)}:{m.group(2)}"
                say(f"     {line.strip()}")
                return
        self.kill()
        err = "\n".join("     " + ln for ln in self.err.all[-10:])
        raise DemoError(f"the server did not print 'listening on HOST:PORT' within {START_TIMEOUT} s"
                        + (f"; it said:\n{err}" if err else ""))

    def stop(self):
        """SIGTERM, then the exit status (None if it had to be killed)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def client_cmd(target, args):
    return [str(CLIENT), "--target", target] + list(args)


def shown(args):
    """How a command is shown in the transcript: `client user 42`."""
    return "client " + " ".join(a if a and not re.search(r"\s", a) else repr(a) for a in args)


def run_client(target, args):
    try:
        p = subprocess.run(client_cmd(target, args), cwd=ROOT, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=CALL_TIMEOUT)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return None, out, f"(no answer within {CALL_TIMEOUT} s: stopped)"


# --------------------------------------------------------------------------
# What the demo shows


def section(n, title, why):
    say()
    say(bold(f"{n}. {title}"))
    for ln in textwrap.wrap(why, 76, break_on_hyphens=False):
        say(dim(f"   {ln}"))


def call(checks, target, args, want_out=None, want_err=None, want_rc=0, note=""):
    """Runs one client command, shows its output, checks it. want_out and
    want_err are exact texts (or None: not checked)."""
    rc, out, err = run_client(target, args)
    label = f"$ {shown(args)}" + (dim(f"   ({note})") if note else "")
    problems = []
    if rc != want_rc:
        problems.append(f"wanted exit status {want_rc}, got {rc}")
    if want_out is not None and out != want_out:
        problems.append(f"wanted on stdout: {want_out!r}\ngot: {out!r}")
    if want_err is not None and err != want_err:
        problems.append(f"wanted on stderr: {want_err!r}\ngot: {err!r}")
    checks.check(not problems, label, "\n".join(problems))
    for ln in out.splitlines():
        say(f"       {ln}")
    for ln in err.splitlines():
        say(f"       {ln}")
    return rc, out, err


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def chat(checks, target):
    """Two members, alice and bob, each a client process reading its lines
    from a pipe. Every step waits for the line it expects, so the order is
    the same on every run."""
    members = {}

    def join(name):
        p = subprocess.Popen(client_cmd(target, ["chat", name]), cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        members[name] = (p, Lines(p.stdout), Lines(p.stderr))

    def send(name, text):
        p = members[name][0]
        say(f"     {name} types: {text}")
        try:
            p.stdin.write(text + "\n")
            p.stdin.flush()
            return True
        except OSError:  # the client has ended already
            return checks.check(False, f"{name}'s client took the line",
                                "it had exited: " + " ".join(members[name][2].all))

    def expect(name, line):
        got = members[name][1].next(LINE_TIMEOUT)
        why = f"wanted {line!r}"
        if got is None and members[name][2].all:
            why += "\nits stderr: " + " ".join(members[name][2].all)
        return checks.check(got == line, f"{name}'s screen: {got if got is not None else '(nothing)'}",
                            why if got != line else "")

    def leave(name):
        p, out, err = members[name]
        p.stdin.close()
        try:
            rc = p.wait(timeout=CALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = None
        rest = []
        while (ln := out.next(LINE_TIMEOUT)) is not None:
            rest.append(ln)
        why = "\n".join([f"then printed: {ln}" for ln in rest] + err.all)
        return checks.check(rc == 0 and not rest, f"{name} ends the input: the client "
                            f"half-closes, the server ends the call, exit {rc}", why)

    # Each step waits for what the one before it caused; after the first
    # that fails, the rest would only wait in vain.
    steps = [
        lambda: join("alice"),
        lambda: send("alice", "hello, is anyone here?"),
        lambda: expect("alice", "[alice]: hello, is anyone here?"),
        lambda: join("bob"),
        lambda: send("bob", "hi alice, bob here"),
        lambda: expect("bob", "[bob]: hi alice, bob here"),
        lambda: expect("alice", "[bob]: hi alice, bob here"),
        lambda: send("alice", "see you, bob"),
        lambda: expect("alice", "[alice]: see you, bob"),
        lambda: expect("bob", "[alice]: see you, bob"),
        lambda: leave("alice"),
        lambda: leave("bob"),
    ]
    try:
        for step in steps:
            if step() is False:
                say(red("     (the rest of the chat is skipped)"))
                break
    finally:
        for p, _, _ in members.values():
            if p.poll() is None:
                p.kill()
                p.wait()


def run(checks, build_first=True):
    say(bold("gRPC in C: the reference server (step 4) and client (step 5), end to end"))
    say()
    say(bold("Building the reference solutions"))
    if build_first:
        build(SERVER_STEP, SERVER)
        build(CLIENT_STEP, CLIENT)
    else:
        say(dim("   (skipped: --no-build)"))
    for prog in (SERVER, CLIENT):
        if not prog.exists():
            raise DemoError(f"{prog.relative_to(ROOT)} is not built (run without --no-build)")

    say()
    say(bold("Starting the server on a free port"))
    server = Server()
    server.start()
    t = server.target
    try:
        say(dim(f"   Every command below runs {CLIENT.relative_to(ROOT)} --target {t} ..."))

        section(1, "MyService.UnaryCall: unary",
                "One request, one response, like a function call. `hello` is the outline's main in C.")
        call(checks, t, ["hello"], "Response: Processed: test-123\n", "")
        call(checks, t, ["unary", "test-123", "42"], "Processed: test-123\n", "")

        section(2, "MyService.ServerStream: server streaming",
                "One request, a stream of responses; the client reads until the server ends the stream.")
        call(checks, t, ["stream", "demo", "3"],
             "Processed: demo #1\nProcessed: demo #2\nProcessed: demo #3\n", "")

        section(3, "MyService.ClientStream: client streaming",
                "A stream of requests (one per value), then one answer once the client half-closes.")
        call(checks, t, ["sum", "demo", "1", "2", "3", "4"], "Processed 4 requests, total value 10\n", "")

        section(4, "MyService.BidirectionalStream: bidirectional streaming",
                "Both sides stream; this client takes turns: one request, its answer, the next request.")
        call(checks, t, ["echo", "alpha", "beta", "gamma"],
             "Processed: alpha\nProcessed: beta\nProcessed: gamma\n", "")

        section(5, "UserService.GetUser: the unary use case, and its errors",
                "A failed call returns a status code; the client turns it into words for a person.")
        call(checks, t, ["user", "1"], "user 1: Alice <alice@example.com>, ROLE_ADMIN\n", "")
        call(checks, t, ["user", "42"], "", "error: Not found: user 42 not found (NOT_FOUND)\n", 1,
             note="an unknown user: NOT_FOUND")
        call(checks, t, ["user", ""], "",
             "error: Invalid request: user_id is required (INVALID_ARGUMENT)\n", 1,
             note="no id: INVALID_ARGUMENT")

        section(6, "NotificationService.StreamNotifications: the server-streaming use case",
                "The server pushes notifications one by one (a pause between them, as in the outline).")
        call(checks, t, ["notify", "alice", "3"],
             "".join(f"#{i} [n-{i}] Notification {i} for alice\n" for i in (1, 2, 3)), "")

        section(7, "FileService.UploadFile: the client-streaming use case",
                f"A real file, {UPLOAD.name}, read and sent in chunks of 1024 bytes; the server answers "
                "with its size and an id (the FNV-1a hash of the bytes it got).")
        data = UPLOAD.read_bytes()
        chunks = max(1, -(-len(data) // 1024))
        want = (f"uploaded {UPLOAD.name}: {len(data)} bytes in {chunks} chunk{'s' if chunks != 1 else ''}, "
                f"file id {fnv1a64(data)}\n")
        _, out, _ = call(checks, t, ["upload", str(UPLOAD.relative_to(ROOT))], want, "")
        m = re.search(r"file id ([0-9a-f]{16})", out)
        checks.check(m is not None and m.group(1) == fnv1a64(data),
                      f"the file id is the FNV-1a of {UPLOAD.name} computed here, {fnv1a64(data)}: "
                      "every byte arrived", f"the server said {m.group(1) if m else '(no id)'}")

        section(8, "ChatService.Chat: the bidirectional use case, two members",
                "Each member sends the lines it reads and, on a second thread, prints every message "
                "of the room: both at once.")
        chat(checks, t)
    finally:
        say()
        say(bold("Stopping the server"))
        say(dim("   SIGTERM: it stops taking calls, lets those in flight finish, and exits."))
        if server.proc.poll() is not None:
            checks.check(False, "the server was still running at the end",
                         f"it exited early with status {server.proc.returncode}")
        else:
            rc = server.stop()
            errs = "\n".join(server.err.all[-10:])
            checks.check(rc == 0, f"the server exited with status {rc}",
                         f"wanted 0{'; it said:' if errs else ''}\n{errs}")


def main(argv):
    test_mode = "--test" in argv
    checks = Checks()
    t0 = time.monotonic()
    try:
        run(checks, build_first="--no-build" not in argv)
    except DemoError as e:
        say()
        say(red(bold("The demo could not run: ")) + str(e))
        checks.failed.append("setup")
    except KeyboardInterrupt:
        say(red("\ninterrupted"))
        return 130
    say()
    took = time.monotonic() - t0
    if checks.failed:
        say(red(bold(f"{len(checks.failed)} of {checks.passed + len(checks.failed)} checks failed")) +
            f" ({took:.0f} s): see the ✗ lines above.")
    else:
        say(green(bold(f"All {checks.passed} checks passed")) + f" ({took:.0f} s): "
            "the server and the client agree on every kind of call.")
    if test_mode:
        say(f"{checks.passed} passed, {len(checks.failed)} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
