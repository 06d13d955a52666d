"""coursekit.classroom: the learner's side of the live classroom (make join,
leave, class-status) and the teacher's terminal view and export (make
class-watch, class-export).

Once a learner has joined (.progress/class.json), every step result that
make stepN, make check or make report saves is also written to a queue
(.progress/class-queue/*.rep, one small text file per run) and, when the
command ends, a detached class_client sends the queue in the background.
The learner's command never waits for the network: writing the file and
starting the sender take a few milliseconds; a class server that is down
or unreachable leaves the files queued for the next run (or make
class-status). Nothing is printed unless the learner asks.
"""

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from .steps import UsageError
from .workspace import BUILD, ROOT, STATE, shown_path

CONFIG = STATE / "class.json"
QUEUE = STATE / "class-queue"
CLIENT = BUILD / "class" / "class_client"
SEND_TIMEOUT_MS = 3000

# The limits the class server checks (tools/class/store.h).
NAME_MAX, TEXT_MAX, ERROR_MAX = 40, 200, 300

# Set by tools/course/course.py for the commands whose results go to the board
# ("step", "check" or "report"); None for everything else (make test).
source = None
_queued = False
_spent = 0.0   # seconds this command spent queueing and starting the sender


def load_config():
    try:
        data = json.loads(CONFIG.read_text())
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and all(isinstance(data.get(k), str) for k in ("class", "code", "name")):
        return data
    return None


def clip(text, limit):
    """text as one line of at most limit UTF-8 bytes, cut on a character."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(text or "")).strip()
    data = text.encode("utf-8")[:limit]
    return data.decode("utf-8", "ignore")


def name_problem(name):
    if not name.strip():
        return "NAME is empty: make join CLASS=HOST:PORT CODE=... NAME=your-name"
    if len(name.encode("utf-8")) > NAME_MAX or re.search(r"[\x00-\x1f\x7f]", name):
        return f"NAME must be one line of at most {NAME_MAX} bytes, e.g. NAME=ana-kim"
    return None


def report_fields(result):
    """The ClassReport fields of a step result (runner.run_step_suites)."""
    total, passed = result.get("total", 0), result.get("passed", 0)
    fields = {"report_id": uuid.uuid4().hex, "step": result["step"], "passed": passed,
              "failed": max(0, total - passed), "at": int(time.time()), "source": source or "step",
              "build_failed": 1 if result.get("build") != "ok" else 0,
              "build_error": clip(result.get("build_error"), ERROR_MAX)}
    for suite in result.get("suites", []):
        failing = [t for t in suite["tests"] if t["status"] == "fail"]
        if failing:
            fields["first_failing"] = clip(f"{suite['name']}/{failing[0]['name']}", TEXT_MAX)
            fields["section"] = clip(failing[0].get("see"), TEXT_MAX)
            break
    else:
        if result.get("problems") and result.get("build") == "ok":
            fields["first_failing"] = clip(result["problems"][0].splitlines()[0], TEXT_MAX)
            fields["failed"] = max(1, fields["failed"])
    return fields


def record(result):
    """Queues a learner's step result for the board (a no-op unless the
    learner joined and a learner command is running). Never raises."""
    global _queued, _spent
    if source is None or result.get("mode") != "starter":
        return
    t0 = time.perf_counter()
    try:
        config = load_config()
        if config is None:
            return
        fields = report_fields(result)
        fields["learner"] = config["name"]
        enqueue(QUEUE, fields)
        _queued = True
    except (OSError, KeyError, TypeError, ValueError):
        pass
    _spent += time.perf_counter() - t0


def enqueue(queue, fields):
    """Writes one report into the queue folder for class_client send: a
    file of KEY=VALUE lines (backslashes doubled), named so that the names'
    order is the runs' order, and renamed into place whole."""
    queue.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{fields['report_id'][:8]}.rep"
    body = "".join(f"{k}={str(v).replace(chr(92), chr(92) * 2)}\n" for k, v in fields.items())
    tmp = queue / (name + ".tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.rename(queue / name)


def sender_command(config):
    return [str(CLIENT), "send", "--addr", config["class"], "--queue", str(QUEUE),
            "--timeout-ms", str(SEND_TIMEOUT_MS)]


def flush(wait=False):
    """Starts the sender when this command queued something (or wait=True:
    make class-status, which waits for it). Never raises. Without the
    sender (make clean removed it) the results stay queued: make
    class-status builds it in the foreground (a build in the background
    could meet the learner's own build in the same folders)."""
    global _queued, _spent
    t0 = time.perf_counter()
    config = load_config()
    if config is None or not (_queued or wait) or not CLIENT.exists():
        return None
    _queued = False
    env = dict(os.environ, CLASS_CODE=config["code"])
    try:
        if wait:
            return subprocess.run(sender_command(config), env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60).returncode
        # posix_spawn (vfork underneath) costs the learner's command a
        # millisecond or two; the sender runs in a session of its own, so
        # it outlives make and a Ctrl-C at the terminal does not reach it.
        # Python opens its files close-on-exec: the sender inherits none.
        cmd = sender_command(config)
        os.posix_spawn(cmd[0], cmd, env, setsid=True, file_actions=[
            (os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)])
        _spent += time.perf_counter() - t0
        # make class-load measures what joining costs a learner's command.
        if os.environ.get("CLASS_HOOK_TIMES"):
            with open(os.environ["CLASS_HOOK_TIMES"], "a") as f:
                f.write(f"{_spent * 1000:.3f}\n")
    except (OSError, subprocess.SubprocessError):
        pass
    return None


# --------------------------------------------------------------------------
# The commands


def build_client():
    if not CLIENT.exists():
        print("Building the class client (once; up to a minute on a fresh clone)...", flush=True)
    proc = subprocess.run(["make", "-s", "-C", str(ROOT), "class-client"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        print(proc.stdout)
        raise UsageError("The class client did not build (see above); 'make doctor' checks the tools.")


def client_run(args, code, timeout=10):
    env = dict(os.environ, CLASS_CODE=code)
    try:
        proc = subprocess.run([str(CLIENT)] + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout)
        return proc.returncode, proc.stdout.strip()
    except subprocess.TimeoutExpired:
        return 1, f"no answer within {timeout} s"


def check_address(addr):
    host, sep, port = addr.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"CLASS={addr or '(empty)'} is not HOST:PORT: copy it from the board, e.g. "
                         "make join CLASS=192.168.1.20:50070 CODE=... NAME=...")


def explain(addr, answer):
    """A class_client error in a learner's words (the gRPC text follows)."""
    if "Connection refused" in answer:
        why = f"nothing listens at {addr}: is make class running, and is this the address on the board?"
    elif answer.startswith("DEADLINE_EXCEEDED") or "no answer" in answer or "Timeout" in answer:
        why = (f"no answer from {addr}: are you on the room's network, and does the teacher's firewall "
               "let the port in?")
    elif "DNS resolution failed" in answer:
        why = f"the name in {addr} is not known on this network: use the address on the board"
    else:
        return answer
    return f"{why}\n  ({answer})"


def cmd_join(args):
    addr, code, name = (list(args) + ["", "", ""])[:3]
    addr, code, name = addr.strip(), code.strip(), name.strip()
    if not (addr and code and name):
        raise UsageError("make join needs the three things on the board and your name:\n"
                         "  make join CLASS=HOST:PORT CODE=<class code> NAME=<your name>")
    check_address(addr)
    problem = name_problem(name)
    if problem:
        raise UsageError(problem)
    build_client()
    rc, out = client_run(["ping", "--addr", addr], code)
    if out.startswith("UNAUTHENTICATED"):
        print(f"The class server at {addr} refused the code {code}: {out.split(': ', 1)[-1]}")
        print("Nothing was saved.")
        return 1
    STATE.mkdir(parents=True, exist_ok=True)
    CONFIG.write_text(json.dumps({"class": addr, "code": code, "name": name}, indent=2) + "\n")
    print(f"Joined the class at {addr} as {name} (saved in {shown_path(CONFIG)}).")
    if rc == 0:
        print("The class server answered. From now on make stepN, make check and make report also "
              "send their results to the board, in the background.")
    else:
        print(f"The class server did not answer: {explain(addr, out.splitlines()[-1] if out else 'no reply')}")
        print("Your results wait in a queue and go once it answers; 'make class-status' shows them.")
    print("'make leave' stops sending.")
    return 0


def queued_files():
    return sorted(QUEUE.glob("*.rep")) if QUEUE.is_dir() else []


def read_status():
    try:
        return dict(ln.split("=", 1) for ln in (QUEUE / "status").read_text().splitlines() if "=" in ln)
    except OSError:
        return {}


def cmd_leave(args):
    config = load_config()
    if config is None:
        print("You are not in a class: nothing to stop.")
        return 0
    left = queued_files()
    rejected = sorted(QUEUE.glob("*.rejected")) if QUEUE.is_dir() else []
    for f in left + rejected:
        f.unlink()
    CONFIG.unlink()
    print(f"Left the class at {config['class']}: your runs are no longer sent"
          + (f" ({len(left)} queued report(s) dropped)." if left else "."))
    return 0


def cmd_class_status(args):
    config = load_config()
    if config is None:
        print("You are not in a class. Join with: make join CLASS=HOST:PORT CODE=... NAME=...")
        return 0
    print(f"Class server {config['class']}, name {config['name']}.")
    build_client()
    before = len(queued_files())
    flush(wait=True)
    status, left = read_status(), len(queued_files())
    rc, out = client_run(["ping", "--addr", config["class"]], config["code"])
    if rc == 0:
        print("The class server answers.")
    else:
        print(f"The class server does not answer: {explain(config['class'], out.splitlines()[-1] if out else '')}")
    if left == 0:
        print(f"Nothing is queued: every result so far reached the class server ({before} just now).")
    else:
        print(f"{left} report(s) wait in {shown_path(QUEUE)}/ and go with your next run.")
        if "error" in status and rc == 0:  # the server answers, yet refused them (e.g. too many at once)
            print(f"  The last try: {status['error']}")
    rejected = sorted(QUEUE.glob("*.rejected")) if QUEUE.is_dir() else []
    if rejected:
        print(f"{len(rejected)} report(s) the server refused are kept in {shown_path(QUEUE)}/*.rejected.")
    return 0


def teacher_code(code, data_dir):
    if code:
        return code
    try:
        return (Path(data_dir) / "code").read_text().strip()
    except OSError:
        raise UsageError(f"No class code: give CODE=..., or run this on the machine where make class "
                         f"runs (it keeps the code in {shown_path(data_dir)}/code).")


def cmd_class_watch(args):
    addr, code, data_dir = (list(args) + ["", "", ""])[:3]
    code = teacher_code(code, data_dir or STATE / "class-server")
    try:
        return subprocess.run([str(CLIENT), "watch", "--addr", addr],
                              env=dict(os.environ, CLASS_CODE=code)).returncode
    except KeyboardInterrupt:
        return 0


def results_of(learner, generated):
    """A learner's row of the board as a results.json of make report."""
    steps = []
    for c in learner["cells"]:
        tests = []
        if c.get("first_failing"):
            suite, _, test = c["first_failing"].rpartition("/")
            tests.append({"suite": suite, "name": test or c["first_failing"], "status": "fail",
                          "see": c.get("section", "")})
        steps.append({"step": c["step"], "build": "failed" if c["build_failed"] else "ok",
                      "passed": c["passed"], "total": c["passed"] + c["failed"], "done": c["done"],
                      "problems": [], "tests": tests})
    return {"learner": learner["name"], "generated": generated, "steps": steps}


def cmd_class_export(args):
    from .report import class_table, read_reports
    folder, board = (list(args) + ["", ""])[:2]
    if not folder.strip():
        raise UsageError("make class-export needs a folder to write to: make class-export DIR=reports")
    board = (board or "http://127.0.0.1:8070").rstrip("/")
    try:
        with urllib.request.urlopen(board + "/board.json", timeout=10) as r:
            data = json.loads(r.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError) as e:
        raise UsageError(f"Could not read the board at {board}/board.json ({e}). Is make class running? "
                         "Give BOARD=http://HOST:PORT when it runs elsewhere.")
    out = Path(folder).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    generated = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(data.get("now") or time.time()))
    for learner in data["learners"]:
        safe = re.sub(r"[^\w.-]+", "_", learner["name"]) or "learner"
        (out / f"{safe}.json").write_text(json.dumps(results_of(learner, generated), indent=2) + "\n")
    reports, _ = read_reports(out)
    for ln in class_table(reports):
        print(ln)
    print(f"{len(data['learners'])} learner(s) written to {shown_path(out)}/ "
          f"(make class-report DIR={folder} prints this table again).")
    return 0
