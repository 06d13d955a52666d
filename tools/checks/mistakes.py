#!/usr/bin/env python3
"""mistakes.py: the catalogue of learner mistakes, each one proved caught.

Next to each step's tests, tests/NN-name/mistakes.md lists plausible wrong
solutions: each a small edit of a solution file and one line saying what a
learner got wrong. For every mistake this checker builds the step exactly as
a learner who made it would have it (steps/NN-name with every solution file
copied over it, then the one edit, built in starter mode), runs the suites
that test the edited file, and requires that

  - the step fails, and
  - the verdict's "Next: edit" names the edited file (tools/course/coursekit/exercises.py:
    the file of the first failing test, in lesson order).

A mistake that slips through is a gap in the tests: strengthen the test.

The catalogue's format (tests/NN-name/mistakes.md, plain Markdown):

    ## chat-broadcast-no-lock · chat_room.c
    Walks the member list without the room's lock while others join and leave.
    needs: tsan                     (optional: caught only by a sanitizer build)
    exercise: chat_room_broadcast   (optional: the exercise, when not the
                                     function around the edit)
    ```find
        pthread_mutex_lock(&room->mu);
    ```
    ```replace
    ```

  One or more find/replace pairs; each find text must occur exactly once in
  the solution file (after the pairs before it), else the entry is stale.
  Layout does not count: spaces, tabs and line breaks may differ (so `make
  format` leaves the entries as they are).
  A line "Four each: `file:exercise` ..." before the first entry names the
  exercises whose code frees memory, shares state or keeps a timing
  contract: they need four mistakes each, every other exercise two.

Mistakes tagged `needs: asan` or `needs: tsan` run only when the step build
has a sanitizer switch (see SANITIZER_* below); until then they are counted
as "waiting for the sanitizer build" and neither pass nor fail.

  mistakes.py [--step NN ...] [--id ID ...] [-v] [-j N] [--all-suites] [--list]
              [--coverage]

Ends with "learner mistakes caught: N of M", then "N passed, M failed";
exits non-zero when a mistake slipped through, was aimed at another file,
is stale, or an exercise has too few mistakes.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parents[1]
sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "tools" / d) for d in ("course", "checks")]

from coursekit import exercises  # noqa: E402
from coursekit.cmocka import parse_cmocka  # noqa: E402  (cmocka's output, read as the verdict reads it)

WORK = ROOT / "build" / "mistakes"
SUITE_TIMEOUT = 60          # seconds per suite binary (a stuck mistake costs this)
FAST_LINK = "-fuse-ld=gold" if shutil.which("ld.gold") else ""
MIN_MISTAKES = 2            # per exercise
MIN_MISTAKES_RISKY = 4      # per exercise that frees memory, shares state, keeps time

# --------------------------------------------------------------------------
# The sanitizer switch. Mistakes such as a leak, a use after free or a data
# race are caught only when the step's tests run under AddressSanitizer (with
# LeakSanitizer) or ThreadSanitizer. mk/step.mk builds with ASan + LSan +
# UBSan by default (SANITIZE=address), as `make stepN` runs: every mistake,
# tagged `needs: asan` or not, is checked on that build. Those tagged
# `needs: tsan` are built with SANITIZE=thread (a folder of their own), as
# the step's suites of shared state run after the others. The programs
# carry their sanitizer settings (tests/common/sanitize.c), so no
# environment is set here. MISTAKES_SANITIZE=0 leaves the tagged ones
# waiting (a machine without the sanitizers' runtime libraries).
SANITIZER_VAR = "SANITIZE"
SANITIZER_VALUE = {"asan": "address", "tsan": "thread"}


def sanitizer_build_on():
    forced = os.environ.get("MISTAKES_SANITIZE")
    if forced is not None and forced.strip() != "":
        return forced.strip().lower() not in ("0", "no", "off", "false")
    step_mk = ROOT / "mk" / "step.mk"
    try:
        return re.search(rf"\b{SANITIZER_VAR}\b", step_mk.read_text()) is not None
    except OSError:
        return False


# --------------------------------------------------------------------------
# Presentation


from coursekit.term import bold, dim, green, red, yellow  # noqa: E402,F401


# --------------------------------------------------------------------------
# The catalogue


@dataclass
class Mistake:
    step: str
    id: str
    file: str                     # bare name, e.g. chat_room.c
    what: str = ""
    edits: list = field(default_factory=list)   # [(find, replace)]
    needs: list = field(default_factory=list)   # sanitizers: asan, tsan
    exercise: str = ""            # explicit exercise name, if given
    line: int = 0                 # line of the heading in mistakes.md
    starter: bool = False         # the whole file back to its starter version

    @property
    def where(self):
        if self.starter:
            return f"steps/{self.step}/{self.file}"
        return f"tests/{self.step}/mistakes.md:{self.line}"


def starter_mistakes(step):
    """One more mistake per learner file: that file as the starter has it,
    every other file solved. The verdict must then name exactly that file
    (a learner who skipped one exercise is sent to it)."""
    sol, start = ROOT / "solutions" / step, ROOT / "steps" / step
    return [Mistake(step, f"starter-{p.name}", p.name,
                    f"{p.name} left as the starter has it, every other file solved",
                    starter=True)
            for p in sorted(sol.iterdir()) if p.is_file() and (start / p.name).is_file()]


class CatalogueError(Exception):
    pass


HEADING_RE = re.compile(r"^##\s+(\S+)\s+(?:·|-|—|:)\s+`?([\w.\-]+)`?\s*$")
FENCE_RE = re.compile(r"^```(\w*)\s*$")
FOUR_RE = re.compile(r"^Four each:(.*)$")


def parse_catalogue(step, text):
    """(mistakes, four_each, errors) of one step's mistakes.md text."""
    mistakes, errors, four = [], [], set()
    cur = None
    lines = text.splitlines()
    i = 0
    pending_find = None
    in_four = False
    while i < len(lines):
        ln = lines[i]
        m = FOUR_RE.match(ln)
        if m or (in_four and ln.strip()):
            four.update(re.findall(r"`([^`]+)`", m.group(1) if m else ln))
            in_four = True
            i += 1
            continue
        in_four = False
        if ln.startswith("## "):
            if pending_find is not None and cur is not None:
                errors.append(f"{cur.where}: {cur.id}: a ```find block without its ```replace")
            pending_find = None
            m = HEADING_RE.match(ln)
            if not m:
                errors.append(f"tests/{step}/mistakes.md:{i + 1}: a heading must read "
                              f"'## ID · FILE', got: {ln}")
                cur = None
            else:
                cur = Mistake(step, m.group(1), m.group(2), line=i + 1)
                mistakes.append(cur)
            i += 1
            continue
        fm = FENCE_RE.match(ln)
        if fm and cur is not None:
            kind = fm.group(1)
            body = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            i += 1  # the closing fence
            block = "\n".join(body)
            if kind == "find":
                if pending_find is not None:
                    errors.append(f"{cur.where}: {cur.id}: two ```find blocks in a row")
                pending_find = block
            elif kind == "replace":
                if pending_find is None:
                    errors.append(f"{cur.where}: {cur.id}: a ```replace block with no ```find before it")
                else:
                    cur.edits.append((pending_find, block))
                    pending_find = None
            else:
                errors.append(f"{cur.where}: {cur.id}: a fenced block must be ```find or ```replace, "
                              f"got ```{kind}")
            continue
        if cur is not None:
            s = ln.strip()
            if s.startswith("needs:"):
                cur.needs += s[6:].replace(",", " ").split()
            elif s.startswith("exercise:"):
                cur.exercise = s[9:].strip()
            elif s and not cur.edits and pending_find is None:
                cur.what = (cur.what + " " + s).strip()
        i += 1
    if pending_find is not None and cur is not None:
        errors.append(f"{cur.where}: {cur.id}: a ```find block without its ```replace")
    for mk in mistakes:
        if not mk.edits:
            errors.append(f"{mk.where}: {mk.id}: no ```find / ```replace edit")
        if not mk.what:
            errors.append(f"{mk.where}: {mk.id}: no line saying what the learner got wrong")
        for n in mk.needs:
            if n not in SANITIZER_VALUE:
                errors.append(f"{mk.where}: {mk.id}: needs: {n} (known: "
                              f"{', '.join(SANITIZER_VALUE)})")
    return mistakes, four, errors


def catalogue_path(step):
    return ROOT / "tests" / step / "mistakes.md"


def load_catalogues(steps):
    """{step: (mistakes, four_each)}, and the errors found in them."""
    out, errors, ids = {}, [], {}
    for step in steps:
        f = catalogue_path(step)
        if not f.exists():
            out[step] = ([], set())
            continue
        mistakes, four, errs = parse_catalogue(step, f.read_text())
        errors += errs
        for mk in mistakes:
            if mk.id in ids:
                errors.append(f"{mk.where}: the id {mk.id} is used twice (also {ids[mk.id]})")
            ids[mk.id] = mk.where
        out[step] = (mistakes, four)
    return out, errors


def _squeezed(s):
    """s without its whitespace, and for each character kept its index in s."""
    idx = [i for i, c in enumerate(s) if not c.isspace()]
    return "".join(s[i] for i in idx), idx


def find_spans(text, find):
    """Where `find` occurs in `text` when layout is ignored (spaces, tabs and
    line breaks, so that `make format` does not make catalogue entries
    stale): [(start, end)] of each occurrence, not overlapping. A find text
    that starts with an indentation or ends with a line break takes the
    occurrence's own indentation or line break along."""
    key, _ = _squeezed(find)
    if not key:
        return []
    flat, idx = _squeezed(text)
    spans = []
    pos = flat.find(key)
    while pos >= 0:
        start, end = idx[pos], idx[pos + len(key) - 1] + 1
        if find[0].isspace():
            while start > 0 and text[start - 1] in " \t":
                start -= 1
            if "\n" in find[: len(find) - len(find.lstrip())] and start > 0 and text[start - 1] == "\n":
                start -= 1
        if find[-1].isspace():
            while end < len(text) and text[end] in " \t":
                end += 1
            if "\n" in find[len(find.rstrip()):] and end < len(text) and text[end] == "\n":
                end += 1
        spans.append((start, end))
        pos = flat.find(key, pos + len(key))
    return spans


def find_once(text, find):
    """(start, end) of `find`'s one occurrence in text, layout aside (see
    find_spans); the exact text when it is there. Returns (span, count):
    span is None unless count is 1."""
    spans = find_spans(text, find)
    if len(spans) != 1:
        return None, len(spans)
    at = text.find(find)
    return ((at, at + len(find)) if at >= 0 else spans[0]), 1


def apply_edits(mk, text):
    """The solution file's text with the mistake's edits; raises CatalogueError
    when a find text does not occur exactly once, spaces and line breaks
    aside (a stale entry). A starter mistake is the starter's whole file."""
    if mk.starter:
        return (ROOT / "steps" / mk.step / mk.file).read_text()
    for n, (find, replace) in enumerate(mk.edits, 1):
        span, count = find_once(text, find)
        if span is None:
            which = f" (edit {n})" if len(mk.edits) > 1 else ""
            state = "not found" if count == 0 else f"found {count} times"
            first = find.strip().splitlines()[0] if find.strip() else "(empty)"
            raise CatalogueError(f"stale: the find text{which} is {state} in solutions/{mk.step}/"
                                 f"{mk.file} (spaces and line breaks aside): {first!r}. "
                                 f"Update {mk.where}.")
        text = text[: span[0]] + replace + text[span[1]:]
    return text


# --------------------------------------------------------------------------
# Exercises: the units a starter file marks with TODO


def c_unit(lines, idx):
    """The top-level C construct around line idx: a function's, an array's or a
    struct's name, or '(top level)'."""
    for j in range(idx, -1, -1):
        ln = lines[j]
        if j != idx and ln.startswith("}"):
            return "(top level)"
        if re.match(r"^[A-Za-z_]", ln) and not ln.startswith(("#", "typedef ")):
            m = re.search(r"\bstruct\s+(\w+)\s*\{", ln)
            if m and "(" not in ln and "=" not in ln:
                return f"struct {m.group(1)}"
            m = re.search(r"(\w+)\s*\(", ln)
            if m:
                return m.group(1) if not ln.rstrip().endswith(";") or j == idx else "(top level)"
            m = re.search(r"(\w+)\s*\[", ln)
            if m:
                return m.group(1)
            if ln.rstrip().endswith(";"):
                return "(top level)"
    return "(top level)"


def proto_unit(lines, idx):
    depth, name = 0, None
    for j, ln in enumerate(lines[: idx + 1]):
        code = ln.split("//")[0]
        m = re.match(r"^\s*(message|service|enum)\s+(\w+)", code)
        if m and depth == 0:
            name = m.group(2)
        if j == idx:
            break
        depth += code.count("{") - code.count("}")
        if depth <= 0:
            depth, name = 0, None
    if name:
        return name
    ln = lines[idx]
    m = re.search(r"\b(?:service|message|enum)\s+([A-Z]\w+)", ln)
    if m:
        return m.group(1)
    if re.search(r"\bpackage\b", ln):
        return "package"
    return "(top level)"


def mk_unit(lines, idx):
    ln = lines[idx]
    m = re.match(r"^(\w+)\s*[:+?]?=", ln)
    if m:
        return m.group(1)
    for j in range(idx, -1, -1):
        if lines[j] and not lines[j].startswith(("\t", "#", " ")) and ":" in lines[j]:
            return "rule " + lines[j].split(":")[0].split()[0]
    return "(top level)"


def yaml_unit(lines, idx):
    """The kind of the YAML document around line idx (a starter's TODO may
    name it instead: "# TODO (Service): ..."), or '(top level)'."""
    m = re.search(r"TODO \((\w+)\)", lines[idx])
    if m:
        return m.group(1)
    start = idx
    while start > 0 and not lines[start].startswith("---"):
        start -= 1
    for ln in lines[start:]:
        if ln.startswith("---") and ln is not lines[start]:
            break
        m = re.match(r"^kind:\s*(\w+)", ln)
        if m:
            return m.group(1)
    return "(top level)"


def unit_at(name, lines, idx):
    if name.endswith((".yaml", ".yml")):
        return yaml_unit(lines, idx)
    if name.endswith(".proto"):
        return proto_unit(lines, idx)
    if name.endswith(".mk") or name == "Makefile":
        return mk_unit(lines, idx)
    return c_unit(lines, idx)


def starter_exercises(step):
    """[(file, unit)] of the TODO units of a step's learner files, in file order."""
    out = []
    sol = ROOT / "solutions" / step
    for f in sorted(p.name for p in sol.iterdir() if p.is_file()):
        src = ROOT / "steps" / step / f
        if not src.exists():
            continue
        lines = src.read_text(errors="replace").splitlines()
        for i, ln in enumerate(lines):
            if "TODO" in ln:
                u = unit_at(f, lines, i)
                if (f, u) not in out:
                    out.append((f, u))
    return out


def mistake_exercise(mk):
    """(file, unit) of the exercise a mistake belongs to: the `exercise:` line,
    else the unit around its first edit in the solution file."""
    if mk.exercise:
        return mk.file, mk.exercise
    try:
        text = (ROOT / "solutions" / mk.step / mk.file).read_text(errors="replace")
    except OSError:
        return mk.file, "?"
    find = mk.edits[0][0] if mk.edits else ""
    span = find_spans(text, find)[:1]
    if not span:
        return mk.file, "?"
    pos = span[0][0]
    lines = text.splitlines()
    idx = text.count("\n", 0, pos)
    return mk.file, unit_at(mk.file, lines, idx)


def coverage(step, mistakes, four):
    """[(file, unit, count, minimum)] over the starter's exercises, and the
    mistakes' exercises that are not the starter's (helpers)."""
    counts = {}
    for mk in mistakes:
        key = mistake_exercise(mk)
        counts[key] = counts.get(key, 0) + 1
    rows = []
    units = starter_exercises(step)
    for f, u in units:
        need = MIN_MISTAKES_RISKY if f"{f}:{u}" in four else MIN_MISTAKES
        rows.append((f, u, counts.get((f, u), 0), need))
    others = {k: v for k, v in counts.items() if k not in units}
    return rows, others


# --------------------------------------------------------------------------
# Building and running a step with one mistake in it


class PkgConfigCache:
    """A pkg-config in front of the real one that answers each question once:
    every step build asks pkg-config for gRPC's flags, which walks all of absl
    (about 2 s a make run); the answers never change during a check."""

    def __init__(self, where):
        self.dir = where / "bin"
        real = shutil.which("pkg-config")
        self.ok = real is not None
        if not self.ok:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        (where / "pkg-config-cache").mkdir(exist_ok=True)
        script = self.dir / "pkg-config"
        script.write_text(
            "#!/bin/sh\n"
            "# Written by tools/checks/mistakes.py: answers from a cache, else from the real one.\n"
            f"cache={where / 'pkg-config-cache'}\n"
            "key=$(printf '%s\\n' \"$@\" | cksum | tr ' ' _)\n"
            "if [ -f \"$cache/$key\" ]; then cat \"$cache/$key\"; exit 0; fi\n"
            f"out=$({real} \"$@\") || exit $?\n"
            "printf '%s\\n' \"$out\" >\"$cache/$key.$$\" && mv -f \"$cache/$key.$$\" \"$cache/$key\"\n"
            "printf '%s\\n' \"$out\"\n")
        script.chmod(0o755)

    def env(self, env):
        if self.ok:
            env["PATH"] = f"{self.dir}{os.pathsep}{env.get('PATH', '')}"
        return env


def write_if_changed(path, data):
    """Writes only when the content differs, so make keeps what it built."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.write_bytes(data)
    return True


class StepBench:
    """A step's own copy: steps/NN-name with every solution file over it,
    built into a build folder of its own (kept between runs, so a second run
    rebuilds only what changed)."""

    def __init__(self, step, pkg, sanitizer=None):
        self.step = step
        self.sanitizer = sanitizer
        base = WORK / step
        self.src = base / "step"
        self.build = base / (f"build-{sanitizer}" if sanitizer else "build")
        self.pkg = pkg
        self.originals = {}
        self.sync()

    def sync(self):
        self.src.mkdir(parents=True, exist_ok=True)
        files = {}
        for p in (ROOT / "steps" / self.step).iterdir():
            if p.is_file():
                files[p.name] = p.read_bytes()
            elif p.is_dir():
                # Given code in a folder of its own (steps/07-deploy/given/).
                for q in p.rglob("*"):
                    if q.is_file():
                        files[str(q.relative_to(ROOT / "steps" / self.step))] = q.read_bytes()
        for p in (ROOT / "solutions" / self.step).iterdir():
            if p.is_file():
                files[p.name] = p.read_bytes()
                self.originals[p.name] = files[p.name]
        tops = {name.split("/")[0] for name in files}
        for p in self.src.iterdir():
            if p.name not in tops:
                if p.is_dir():
                    shutil.rmtree(p)
                else:
                    p.unlink()
        for name, data in files.items():
            (self.src / name).parent.mkdir(parents=True, exist_ok=True)
            write_if_changed(self.src / name, data)

    def put(self, name, text):
        write_if_changed(self.src / name, text.encode())

    def restore(self, name):
        write_if_changed(self.src / name, self.originals[name])

    def make(self, suites):
        cmd = ["make", "-s", "--no-print-directory", "-j2", "-C", str(ROOT / "steps" / self.step),
               "build", f"STEP_DIR={self.src}", f"BUILD={self.build}",
               "SUITES=" + " ".join(suites),
               # As a learner builds: warnings are not errors (CI's WERROR=1
               # would turn a mistake's unused variable into a build failure).
               "WERROR="]
        if self.sanitizer:
            cmd.append(f"{SANITIZER_VAR}={SANITIZER_VALUE[self.sanitizer]}")
        if FAST_LINK:
            # Every mistake relinks the suites that test it: gold links a
            # test binary in a fifth of the time of the default linker.
            cmd.append(f"CC={os.environ.get('CC', 'cc')} {FAST_LINK}")
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL", "STEP", "SOLUTION",
                            "WERROR")}
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=self.pkg.env(env))
        return proc.returncode == 0, proc.stdout.decode("utf-8", "replace")

    def run_suite(self, suite, stop_after=None):
        """{name, tests, problem} as course.run_step_suites reports a suite.
        stop_after(test) -> bool: once a test fails for which it says True,
        the verdict is settled and the rest of the suite is not run."""
        binary = self.build / f"test_{suite}"
        entry = {"name": suite, "tests": [], "problem": None, "stopped": False}
        if not binary.exists():
            entry["problem"] = f"{binary.name} was not built"
            return entry
        env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="stdout")
        env.pop("CMOCKA_XML_FILE", None)
        # A session of its own: a suite that runs the step's program can be
        # stopped with everything it started.
        proc = subprocess.Popen([str(binary)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=env, cwd=str(ROOT), start_new_session=True)
        lines, settled, early = [], threading.Event(), threading.Event()

        def read():
            for raw in proc.stdout:
                ln = raw.decode("utf-8", "replace").rstrip("\n")
                lines.append(ln)
                m = FAILED_RE.match(ln)
                if m and stop_after is not None and stop_after(m.group(1)):
                    early.set()
                    break
            settled.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        t0 = time.monotonic()
        done_in_time = settled.wait(SUITE_TIMEOUT)
        if done_in_time and not early.is_set():
            # The output ended: the suite is exiting on its own.
            try:
                proc.wait(max(1.0, SUITE_TIMEOUT - (time.monotonic() - t0)))
            except subprocess.TimeoutExpired:
                done_in_time = False
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
            if not done_in_time:
                entry["problem"] = f"timed out after {SUITE_TIMEOUT} s"
            else:
                entry["stopped"] = True
        elif early.is_set():
            entry["stopped"] = True
        reader.join(5)
        proc.stdout.close()
        out = "\n".join(lines)
        tests = parse_cmocka(out)
        if not entry["stopped"] and entry["problem"] is None:
            rc = proc.returncode
            if rc is not None and rc < 0:
                entry["problem"] = f"crashed with signal {-rc}"
            elif rc not in (0, None) and not any(t["status"] == "fail" for t in tests):
                # A sanitizer's report after the last test, or an exit before the first.
                entry["problem"] = f"exited with status {rc}"
        for t in tests:
            if t["status"] == "running":
                t["status"] = "fail"
                t["lines"].append(f"this test did not finish: the suite {entry['problem'] or 'stopped'}")
        entry["tests"] = [{"name": t["name"], "status": t["status"], "lines": t["lines"]} for t in tests]
        return entry


FAILED_RE = re.compile(r"^\[  FAILED  \] (\S+)\s*$")


@dataclass
class Outcome:
    mistake: Mistake
    status: str                  # caught | slipped | aimed | stale | broken | waiting
    detail: str = ""
    seconds: float = 0.0
    verdict: str = ""            # the verdict file
    first: str = ""              # suite/test that failed first


def first_failure_text(result):
    for s in result["suites"]:
        for t in s["tests"]:
            if t["status"] == "fail":
                msg = [ln for ln in t["lines"] if ln.strip()]
                return f"{s['name']}/{t['name']}", msg
        if s.get("problem"):
            return s["name"], [s["problem"]]
    return "", []


def suites_for(step, name, all_suites):
    if all_suites:
        return exercises.lesson_order(ROOT, step)
    return exercises.suites_checking(ROOT, step, name)


def run_mistake(bench, mk, all_suites=False):
    """Builds and runs the step with one mistake; returns an Outcome."""
    t0 = time.monotonic()
    original = bench.originals.get(mk.file)
    if original is None:
        return Outcome(mk, "stale", f"{mk.file} is not a learner file of {mk.step} "
                                    f"(solutions/{mk.step}/ has no such file)")
    try:
        text = apply_edits(mk, original.decode())
    except CatalogueError as e:
        return Outcome(mk, "stale", str(e))
    suites = suites_for(mk.step, mk.file, all_suites)
    if not suites:
        return Outcome(mk, "stale", f"no suite of {mk.step} declares {mk.file} as its "
                                    f"EXERCISE_FILE (or needs it): nothing would test it")
    bench.put(mk.file, text)
    ok, out = bench.make(suites)
    if not ok:
        lines = [ln for ln in out.splitlines() if "error" in ln.lower()][:5] or out.splitlines()[-5:]
        return Outcome(mk, "broken", "the edit does not build (a catalogue entry must compile, "
                       "so the tests, not the compiler, catch it):\n" + "\n".join(lines),
                       time.monotonic() - t0)
    result = {"suites": []}
    want = f"steps/{mk.step}/{mk.file}"
    def settles(suite):
        return lambda test: exercises.exercise_file(ROOT, mk.step, suite, test) == want

    for suite in suites:
        entry = bench.run_suite(suite, settles(suite))
        result["suites"].append(entry)
        # Stop at the first suite that decides the verdict: a failure on the
        # edited file itself, or one whose test needs nothing still unknown.
        fails = [t for t in entry["tests"] if t["status"] == "fail"]
        if fails or entry.get("problem"):
            t = fails[0]["name"] if fails else None
            if exercises.exercise_file(ROOT, mk.step, suite, t) == want:
                break
    secs = time.monotonic() - t0
    verdict = exercises.verdict_file(ROOT, mk.step, result)
    first, msg = first_failure_text(result)
    detail = "\n".join(msg[-6:])
    if verdict is None:
        return Outcome(mk, "slipped", "every suite that tests it passes: " + ", ".join(suites),
                       secs)
    if verdict != want:
        return Outcome(mk, "aimed", f"the verdict would say 'Next: edit {verdict}' "
                       f"(first failure: {first})\n{detail}", secs, verdict, first)
    return Outcome(mk, "caught", detail, secs, verdict, first)


def base_check(bench, suites):
    """The step with no mistake in it must pass, or nothing else means anything."""
    ok, out = bench.make(suites)
    if not ok:
        return "the solution does not build in the mistake bench:\n" + "\n".join(out.splitlines()[-10:])
    bad = []
    for suite in suites:
        e = bench.run_suite(suite)
        bad += [f"{suite}/{t['name']}" for t in e["tests"] if t["status"] == "fail"]
        if e.get("problem"):
            bad.append(f"{suite}: {e['problem']}")
    if bad:
        return "the solution itself fails in the mistake bench: " + ", ".join(bad[:8])
    return None


# --------------------------------------------------------------------------
# The run


def all_steps():
    return sorted(p.name for p in (ROOT / "steps").glob("[0-9][0-9]-*") if p.is_dir())


def resolve_step(arg):
    key = arg.lower().removeprefix("step")
    for s in all_steps():
        num, name = s.split("-", 1)
        if key in (s, name) or (key.isdigit() and int(key) == int(num)):
            return s
    raise SystemExit(f"mistakes.py: there is no step '{arg}' ({', '.join(all_steps())})")


LOCK = threading.Lock()


def report(o, verbose):
    mk = o.mistake
    label = f"{mk.step[:2]} {mk.id} ({mk.file})"
    with LOCK:
        if o.status == "caught":
            print(f"  {green('✓')} {label}  {dim(f'{o.seconds:.1f} s')}")
            if verbose:
                print(f"      {mk.what}")
                print(f"      first failure: {o.first}; Next: edit {o.verdict}")
                for ln in o.detail.splitlines():
                    print(f"        {ln}")
        elif o.status == "waiting":
            print(f"  {yellow('…')} {label}  {dim('waiting for the sanitizer build: needs ' + ' '.join(mk.needs))}")
        else:
            word = {"slipped": "SLIPPED THROUGH", "aimed": "caught but aimed at " + (o.verdict or "?"),
                    "stale": "STALE", "broken": "DOES NOT BUILD"}[o.status]
            print(f"  {red('✗')} {label}: {red(word)}  {dim(f'{o.seconds:.1f} s')}")
            print(f"      {mk.what}  [{mk.where}]")
            for ln in o.detail.splitlines()[:12]:
                print(f"      {ln}")
        sys.stdout.flush()


def run_step(step, mistakes, pkg, verbose, all_suites, sanitizers_on, plain_build=False):
    outcomes = []
    # The step's default build is ASan's (mk/step.mk): `needs: asan` runs there.
    default = ("asan",) if sanitizers_on else ()
    plain = [m for m in mistakes if not m.needs or plain_build or m.needs[0] in default]
    by_sanitizer = {}
    for m in mistakes:
        if m.needs and not plain_build and m.needs[0] not in default:
            if sanitizers_on:
                by_sanitizer.setdefault(m.needs[0], []).append(m)
            else:
                # Not run yet, but kept from going stale all the same.
                o = Outcome(m, "waiting")
                try:
                    apply_edits(m, (ROOT / "solutions" / step / m.file).read_text())
                except (OSError, CatalogueError) as e:
                    o = Outcome(m, "stale", str(e))
                report(o, verbose)
                outcomes.append(o)
    for sanitizer, group in [(None, plain)] + sorted(by_sanitizer.items()):
        if not group:
            continue
        bench = StepBench(step, pkg, sanitizer)
        names = sorted({m.file for m in group})
        suites = []
        for n in names:
            for s in suites_for(step, n, all_suites):
                if s not in suites:
                    suites.append(s)
        problem = base_check(bench, suites)
        if problem:
            for m in group:
                o = Outcome(m, "broken", problem)
                report(o, verbose)
                outcomes.append(o)
            continue
        # One file at a time: only the edited file recompiles between mistakes.
        for name in names:
            for m in [m for m in group if m.file == name]:
                o = run_mistake(bench, m, all_suites)
                report(o, verbose)
                outcomes.append(o)
            if name in bench.originals:
                bench.restore(name)
    return outcomes


TIMES = WORK / "times.json"


def load_times():
    try:
        return json.loads(TIMES.read_text())
    except (OSError, ValueError):
        return {}


def save_times(times, outcomes):
    for o in outcomes:
        if o.seconds > 0:
            times[o.mistake.id] = round(o.seconds, 2)
    try:
        TIMES.write_text(json.dumps(times, indent=0, sort_keys=True))
    except OSError:
        pass


def main(argv):
    ap = argparse.ArgumentParser(prog="mistakes.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--step", action="append", default=[], help="only this step (1, 01, 01-design)")
    ap.add_argument("--id", action="append", default=[], help="only this mistake")
    ap.add_argument("-v", "--verbose", action="store_true", help="show each verdict")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("MISTAKES_JOBS", "3")),
                    help="steps checked at once (default 3: the suites mostly wait, on "
                         "deadlines and pauses, so three keep two cores busy)")
    ap.add_argument("--all-suites", action="store_true",
                    help="run every suite of the step, not only those that test the edited file")
    ap.add_argument("--plain-build", action="store_true",
                    help="run the mistakes tagged needs: asan/tsan too, in the plain build "
                         "(to see which a plain build happens to catch)")
    ap.add_argument("--list", action="store_true", help="list the catalogue and exit")
    ap.add_argument("--coverage", action="store_true",
                    help="mistakes per exercise for each step, and exit")
    args = ap.parse_args(argv)

    steps = [resolve_step(s) for s in args.step] if args.step else all_steps()
    catalogues, errors = load_catalogues(steps)
    for e in errors:
        print(red("✗ ") + e)

    if args.coverage or args.list:
        for step, (mistakes, four) in catalogues.items():
            rows, others = coverage(step, mistakes, four)
            print(bold(f"{step}: {len(rows)} exercises, {len(mistakes)} mistakes"))
            if args.list:
                for m in mistakes:
                    tag = f"  [needs {' '.join(m.needs)}]" if m.needs else ""
                    print(f"  {m.id} ({m.file}){tag}: {m.what}")
                continue
            for f, u, n, need in rows:
                mark = green("✓") if n >= need else red("✗")
                print(f"  {mark} {f}:{u}  {n} (at least {need})")
            for (f, u), n in others.items():
                print(f"    {dim(f'{f}:{u}  {n} (helper, not a TODO unit)')}")
        return 1 if errors else 0

    selected = {}
    for step, (mistakes, _) in catalogues.items():
        chosen = [m for m in mistakes + starter_mistakes(step) if not args.id or m.id in args.id]
        if chosen:
            selected[step] = chosen
    total = sum(len(v) for v in selected.values())
    if args.id:
        unknown = set(args.id) - {m.id for v in selected.values() for m in v}
        for u in sorted(unknown):
            errors.append(f"no mistake with the id {u}")
            print(red("✗ ") + f"no mistake with the id {u}")

    # The exercises each catalogue must cover (only for a full run of a step).
    coverage_failures = []
    if not args.id:
        for step, (mistakes, four) in catalogues.items():
            rows, _ = coverage(step, mistakes, four)
            for f, u, n, need in rows:
                if n < need:
                    coverage_failures.append(f"{step}: exercise {f}:{u} has {n} mistake"
                                             f"{'' if n == 1 else 's'}, needs at least {need}")
    sanitizers_on = sanitizer_build_on()
    print(bold(f"Learner mistakes: {total} in {len(selected)} step(s)") +
          dim(f"  (sanitizer build: {'on' if sanitizers_on else 'off'}; bench: "
              f"{WORK.relative_to(ROOT)})"))
    sys.stdout.flush()
    t0 = time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    pkg = PkgConfigCache(WORK)
    outcomes = []
    # The longest steps first (by the last run's times, else by size), so
    # the workers finish together.
    times = load_times()
    # No times yet: the steps whose tests run servers (4 on) take longer.
    guess = {s: 0.3 if int(s[:2]) <= 3 else 2.0 for s in selected}
    order = sorted(selected, key=lambda s: -sum(times.get(m.id, guess[s]) for m in selected[s]))
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_step, s, selected[s], pkg, args.verbose, args.all_suites,
                               sanitizers_on, args.plain_build) for s in order]
        for f in futures:
            outcomes += f.result()
    secs = time.monotonic() - t0
    save_times(times, outcomes)

    caught = sum(o.status == "caught" for o in outcomes)
    waiting = sum(o.status == "waiting" for o in outcomes)
    bad = [o for o in outcomes if o.status not in ("caught", "waiting")]
    print()
    per_step = {}
    for o in outcomes:
        d = per_step.setdefault(o.mistake.step, {"n": 0, "caught": 0, "waiting": 0})
        d["n"] += 1
        d["caught"] += o.status == "caught"
        d["waiting"] += o.status == "waiting"
    for step in sorted(per_step):
        d = per_step[step]
        w = f", {d['waiting']} waiting for the sanitizer build" if d["waiting"] else ""
        print(f"  {step}: {d['caught']} of {d['n'] - d['waiting']} caught{w}")
    starters = [o for o in outcomes if o.mistake.starter]
    if starters:
        print(f"  every learner file back to its starter, the rest solved: "
              f"{sum(o.status == 'caught' for o in starters)} of {len(starters)} named by the verdict")
    for c in coverage_failures:
        print(red("✗ ") + c)
    if bad:
        print(red(bold("Not caught: ")) + ", ".join(
            f"{o.mistake.id} ({o.status}{' at ' + o.verdict if o.status == 'aimed' else ''})" for o in bad))
    if waiting:
        print(f"waiting for the sanitizer build: {waiting}")
    print(dim(f"({secs:.0f} s)"))
    runnable = total - waiting
    print(f"learner mistakes caught: {caught} of {runnable}")
    failed = len(bad) + len(errors) + len(coverage_failures)
    print(f"{caught} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
