#!/usr/bin/env python3
"""contract.py: the workspace's own test suite, behind `make test`.

For every step it proves the step contract (architecture.md):
  - the starter builds with -Werror, its suite fails, and exactly the exercise
    tests fail (tests of given code, listed in tests/NN/given.txt, pass), each
    failure on an assertion that names a real section of the lesson;
  - the solution builds with -Werror and passes, built with ASan + LSan +
    UBSan (and its suites of shared state with TSan), and under valgrind;
  - the solution holds no TODO, every exercise has three hints, the lesson exists.
Then it runs the other suites (runtime, plugin, interop, docs), each a make
target that ends with a line `N passed, M failed`, and prints the total. The
suites are a fixed list (COMPONENTS): one whose makefile is missing, or no
longer defines its target, is a failed check naming the file.

  contract.py [--steps-only] [--skip-memcheck] [STEP ...]
"""

import os
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "tools" / d) for d in ("course", "checks")]
import solution_copies  # noqa: E402
from coursekit.build import make_build  # noqa: E402
from coursekit.lessons import lesson_path  # noqa: E402
from coursekit.runner import run_step_suites, save_result  # noqa: E402
from coursekit.steps import (UsageError, all_steps, given_tests, learner_files,  # noqa: E402
                             parse_hints, resolve_step, step_title, suites_of)
from coursekit.term import bold, dim, green, red  # noqa: E402
from coursekit.workspace import BUILD, ROOT  # noqa: E402

LOGS = BUILD / "logs"


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []
        self.why = []  # (label, excerpt lines), printed again at the end

    def check(self, ok, label, detail=""):
        if ok:
            self.passed += 1
            print(f"  {green('✓')} {label}")
        else:
            self.failed += 1
            self.failures.append(label)
            print(f"  {red('✗')} {label}")
            lines = detail.strip().splitlines()[:25]
            for ln in lines:
                print(f"      {ln}")
            if lines:
                self.why.append((label, lines))
        sys.stdout.flush()
        return ok


def slugify(text):
    """Heading ids as MkDocs (Python-Markdown's toc) makes them."""
    text = re.sub(r"\{#([^}]+)\}\s*$", "", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors_of(md_path):
    ids = set()
    in_code = False
    for ln in md_path.read_text().splitlines():
        if ln.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        m = re.match(r"^#{1,6}\s+(.*?)\s*$", ln)
        if m:
            explicit = re.search(r"\{#([^}\s]+)\}\s*$", m.group(1))
            ids.add(explicit.group(1) if explicit else slugify(m.group(1)))
    return ids


def hint_ladder_problems(step, hints):
    """What breaks the ladder of each exercise's hints: 1 asks a question,
    2 says where to look (a real lesson section), 3 is a nudge; none of them
    quotes a line of the solution (the learner writes the code)."""
    sol_lines = set()
    for f in (ROOT / "solutions" / step).glob("*"):
        for ln in f.read_text(errors="replace").splitlines():
            code = " ".join(ln.split())
            if len(code) >= 25 and not code.startswith(("/*", "*", "//", "#")):
                sol_lines.add(code)
    problems = []
    for suite, tiers in hints.items():
        if len(tiers) < 3:
            continue
        if "?" not in tiers[0]:
            problems.append(f"{suite}: hint 1 asks no question")
        m = re.search(r"docs/en/(\S+?\.md)#([\w-]+)", tiers[1])
        if not m:
            problems.append(f"{suite}: hint 2 names no lesson section (docs/en/PAGE.md#anchor)")
        elif not (ROOT / "docs" / "en" / m.group(1)).exists() or \
                m.group(2) not in anchors_of(ROOT / "docs" / "en" / m.group(1)):
            problems.append(f"{suite}: hint 2 names docs/en/{m.group(1)}#{m.group(2)}, which does not exist")
        for i, tier in enumerate(tiers, 1):
            flat = " ".join(tier.replace("`", " ").split())
            quoted = [c for c in sol_lines if c in flat]
            if quoted:
                problems.append(f"{suite}: hint {i} quotes the solution: {quoted[0]}")
    return problems


def pristine_starter(step):
    """The committed starter of a step, so a learner's edits never fail the contract."""
    rel = f"steps/{step}"
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", rel],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
    if not dirty:
        return []
    dest = BUILD / "pristine"
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD", rel], stdout=subprocess.PIPE)
    if archive.returncode != 0:
        return []
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    print(dim(f"  (steps/{step} has local changes: checking the committed starter instead)"))
    return [f"STEP_DIR={dest / rel}", f"BUILD_ROOT={BUILD / 'steps' / step / 'pristine'}"]


def check_step(step, tally, memcheck=True):
    print(bold(f"\n{step_title(step)}"))
    tdir = ROOT / "tests" / step
    given = given_tests(step)
    lesson = ROOT / lesson_path(step)
    tally.check(lesson.exists(), f"lesson page {lesson_path(step)} exists")
    anchors = anchors_of(lesson) if lesson.exists() else set()

    # Starter.
    extra = pristine_starter(step)
    ok, out = make_build(step, "starter", extra=["WERROR=1"] + extra, quiet=True)
    tally.check(ok, "starter builds with no warnings (-Wall -Wextra -Werror)", out)
    if ok:
        # The starter's question is which tests fail; its threads are not yet
        # the learner's, so no ThreadSanitizer run.
        res = run_step_suites(step, "starter", threads=False, overrides=extra)
        tests = {t["name"]: t for s in res["suites"] for t in s["tests"]}
        failing = {n for n, t in tests.items() if t["status"] == "fail"}
        expected = set(tests) - given
        tally.check(not res["problems"], "starter suites run to the end (no crash, no timeout)",
                    "\n".join(res["problems"]))
        tally.check(len(failing) > 0, f"starter fails ({len(failing)} of {len(tests)} tests fail)")
        unexpected_fail = sorted(failing - expected)
        unexpected_pass = sorted(expected - failing)
        tally.check(not unexpected_fail, "tests of given code pass on the starter",
                    "failing: " + ", ".join(unexpected_fail))
        tally.check(not unexpected_pass, "every exercise test fails on the starter",
                    "already passing (exercise solved in the starter, or test cannot fail): "
                    + ", ".join(unexpected_pass))
        missing_given = sorted(given - set(tests))
        tally.check(not missing_given, "given.txt names only existing tests", ", ".join(missing_given))
        bad_links = []
        for n in sorted(failing):
            see = tests[n].get("see")
            if not see:
                bad_links.append(f"{n}: failure message names no lesson section")
                continue
            page, _, anchor = see.partition("#")
            p = ROOT / page
            if not p.exists():
                bad_links.append(f"{n}: {page} does not exist")
            elif anchor and anchor not in anchors_of(p):
                bad_links.append(f"{n}: no section #{anchor} in {page}")
        tally.check(not bad_links, "every failure points to an existing lesson section",
                    "\n".join(bad_links))

    # Solution.
    ok, out = make_build(step, "solution", extra=["WERROR=1"], quiet=True)
    tally.check(ok, "solution builds with no warnings", out)
    if ok:
        res = run_step_suites(step, "solution")
        save_result(res)
        fails = [f"{t['name']}: {t.get('message', '')}" for s in res["suites"] for t in s["tests"]
                 if t["status"] != "pass"]
        tally.check(res["ok"], f"solution passes ({res['passed']}/{res['total']} tests)",
                    "\n".join(fails + res["problems"]))
        if memcheck:
            t0 = time.monotonic()
            # valgrind runs the plain build (no sanitizers), a folder of its own.
            ok, out = make_build(step, "solution", extra=["WERROR=1"], quiet=True, sanitize="none")
            res = run_step_suites(step, "solution", valgrind=True) if ok else \
                {"ok": False, "passed": 0, "total": 0, "problems": [out], "suites": []}
            tally.check(res["ok"], f"solution passes under valgrind, no leaks "
                        f"({res['passed']}/{res['total']}, {time.monotonic() - t0:.0f} s)",
                        "\n".join(res["problems"] + [t["name"] for s in res["suites"] for t in s["tests"]
                                                     if t["status"] != "pass"]))

    # Files and hints.
    todo = []
    for f in (ROOT / "solutions" / step).glob("*"):
        for i, ln in enumerate(f.read_text(errors="replace").splitlines(), 1):
            if re.search(r"TODO|not implemented", ln):
                todo.append(f"solutions/{step}/{f.name}:{i}: {ln.strip()}")
    tally.check(not todo, "solution files hold no TODO", "\n".join(todo))
    copies = solution_copies.copied_runs(ROOT, step)
    tally.check(not copies, "solution files hold only the learner's part (no copy of the starter)",
                "\n".join(copies) + "\ngiven code belongs in a given file (see CONTRIBUTING.md#how-a-step-is-built)")
    hints = parse_hints(step)
    short = [s for s in suites_of(step) if len(hints.get(s, [])) < 3]
    tally.check(not short, "three hints for every exercise", "too few hints for: " + ", ".join(short))
    tally.check(not short and not hint_ladder_problems(step, hints),
                "hints are a ladder: a question, where to look, a nudge that quotes no solution line",
                "\n".join(hint_ladder_problems(step, hints)) if not short else "")
    starter_todo = any("TODO" in (ROOT / "steps" / step / f).read_text(errors="replace")
                       for f in learner_files(step) if (ROOT / "steps" / step / f).exists())
    tally.check(starter_todo, "starter files mark the exercises with TODO")
    return anchors


SUMMARY_RE = re.compile(r"(\d+) passed, (\d+) failed")
# Lines of a component's log that make test repeats under its count.
HEADLINE_RE = re.compile(r"^(learner mistakes caught: \d+ of \d+|every learner file back to its starter.*)$")


# Lines that say why a suite failed: cmocka's verdicts and messages, the
# sanitizers' and valgrind's reports, a timeout, a compiler error.
WHY_RE = re.compile(r"\[  FAILED  \]|\[  ERROR   \]|ThreadSanitizer|AddressSanitizer|"
                    r"LeakSanitizer|runtime error:|SUMMARY:|Assertion|assert|failed:|"
                    r"timed out|exit status|[1-9][0-9]* failed|error:|Error [0-9]|"
                    r"definitely lost|possibly lost|Invalid (read|write)|Traceback")


def excerpt(text, limit=60):
    """The lines of a failed log worth reading, two lines of context each,
    at most `limit`; the log's tail when nothing matches."""
    lines = text.strip().splitlines()
    keep = set()
    for i, ln in enumerate(lines):
        if WHY_RE.search(ln):
            keep.update(range(max(0, i - 2), min(len(lines), i + 3)))
    if not keep:
        return lines[-30:]
    out, last = [], -2
    for i in sorted(keep):
        if i != last + 1 and out:
            out.append("...")
        out.append(lines[i])
        last = i
    return out[:limit]


def run_component(name, cmd, tally):
    """Runs a make target whose last line is 'N passed, M failed'; adds its counts."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".log")
    print(bold(f"\n{name}") + dim(f"  ({' '.join(cmd)}; log: {log.relative_to(ROOT)})"))
    sys.stdout.flush()
    t0 = time.monotonic()
    with open(log, "wb") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=str(ROOT))
    text = log.read_text(errors="replace")
    secs = time.monotonic() - t0
    m = None
    for ln in reversed(text.strip().splitlines()):
        m = SUMMARY_RE.search(ln)
        if m:
            break
    if m:
        p, f = int(m.group(1)), int(m.group(2))
        tally.passed += p
        tally.failed += f
        ok = proc.returncode == 0 and f == 0
        mark = green("✓") if ok else red("✗")
        print(f"  {mark} {p} passed, {f} failed in {secs:.0f} s")
        for ln in text.splitlines():
            if HEADLINE_RE.match(ln.strip()):
                print(f"    {ln.strip()}")
        if not ok:
            if f == 0:
                tally.failed += 1
            tally.failures.append(name)
            print("\n".join("      " + ln for ln in text.strip().splitlines()[-30:]))
            tally.why.append((f"{name} (whole log: {log.relative_to(ROOT)})", excerpt(text)))
    else:
        tally.check(proc.returncode == 0, f"{name} ({secs:.0f} s)", "\n".join(text.strip().splitlines()[-30:]))


# The non-step suites, in order: what each proves, its make target (and the
# target's arguments), and the makefile that defines the target. The runtime's
# and the fault suites' plain builds are not run on their own: valgrind runs
# the runtime's plain programs, and the ASan + UBSan builds run every test of
# both at full size (make test-runtime / test-faults remain for a quick look). The list is
# fixed: a makefile that is missing, or no longer defines its target, is a
# failed check that names it, never a suite quietly left out.
COMPONENTS = [
    ("learner mistakes: each must fail its step, the verdict naming its file",
     ["test-mistakes"], "mk/mistakes.mk"),
    ("code generator tests", ["test-plugin"], "mk/plugin.mk"),
    ("runtime tests under valgrind", ["test-runtime-memcheck"], "mk/lib.mk"),
    ("runtime tests with ASan + UBSan", ["test-runtime-sanitize"], "mk/lib.mk"),
    ("runtime tests with TSan", ["test-runtime-tsan"], "mk/lib.mk"),
    ("fault and security tests with ASan + UBSan", ["test-faults-sanitize"], "mk/faults.mk"),
    ("fault and security tests with TSan", ["test-faults-tsan"], "mk/faults.mk"),
    ("fuzz corpus and regressions replayed", ["test-fuzz-replay"], "mk/fuzz.mk"),
    ("interop with Python grpcio and grpc-js", ["test-interop"], "mk/interop.mk"),
    ("make call (buf curl) against a live server", ["test-call"], "mk/call.mk"),
    ("server reflection: buf curl and Python grpcio ask the step 4, step 7 and bench servers",
     ["test-reflection"], "mk/reflection.mk"),
    ("make demo, end to end", ["test-demo"], "mk/demo.mk"),
    ("the live classroom: class server (ASan), learners through make, the board in Chromium and Firefox",
     ["test-class"], "mk/class.mk"),
    ("the runtime reference's examples", ["test-doc-examples"], "mk/examples.mk"),
    ("make cluster: 3 replicas, round_robin, one stopped, no call lost", ["test-cluster"], "mk/cluster.mk"),
    ("Dockerfile, k8s/ and .devcontainer/ checked offline", ["test-deploy"], "mk/cluster.mk"),
    ("the step tooling (tools/course/course.py, mk/step.mk)", ["test-tools"], "Makefile"),
    ("lesson code equals the tree's (make docs-sync fixes it)", ["docs-sync-check"], "Makefile"),
    ("learner pages promise nothing unwritten", ["docs-stale-check"], "Makefile"),
    ("the C code laid out as .clang-format says (make format)", ["format-check"], "Makefile"),
    ("lesson site builds (mkdocs --strict)", ["docs-check"], "Makefile"),
    ("lesson site in Chromium: pages, diagrams, widths, search, languages",
     ["test-site", "SITE_BUILD=0"], "mk/site.mk"),
    ("translated lessons (docs/ko) in step with docs/en",
     ["test-i18n", "I18N_ARGS=--site build/site"], "mk/i18n.mk"),
    ("every English page translated", ["i18n-check"], "mk/i18n.mk"),
]

MAKE = ["make", "--no-print-directory"]

# A target line of make's database (make -p): "name: prerequisites", not a
# variable ("name := value"), a comment or a recipe line.
TARGET_LINE_RE = re.compile(r"([^#\s:=%][^:=]*?)::?(?!=)")


def make_targets(root):
    """The targets make knows once it has read root's Makefile and every file
    it includes, from make's database (make -p); nothing is built. Returns
    (targets, error): error is make's own message when it cannot read them."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL")}
    proc = subprocess.run(MAKE + ["-p", "--eval=contract-probe: ; @:", "contract-probe"], cwd=str(root), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    if proc.returncode != 0:
        return set(), proc.stderr.strip() or f"make exited with status {proc.returncode}"
    targets, previous = set(), ""
    for ln in proc.stdout.splitlines():
        m = TARGET_LINE_RE.match(ln)
        if m and previous != "# Not a target:":
            targets.add(m.group(1))
        previous = ln
    return targets, None


def components(root=None):
    """The non-step suites of COMPONENTS, in order, and whether make can run
    them. Returns (comps, error): comps holds (name, command, problem), where
    problem says why that suite cannot run (its makefile is missing, or does
    not define its target) and is None otherwise; error is make's message
    when it cannot read the Makefile at all (then no suite can run)."""
    root = root or ROOT
    targets, error = make_targets(root)
    comps = []
    for name, args, makefile in COMPONENTS:
        target = args[0]
        if not (root / makefile).is_file():
            problem = f"{makefile} is missing (it defines make {target})"
        elif target not in targets and not error:
            problem = f"{makefile} does not define make {target} (or the Makefile does not include it)"
        else:
            problem = None
        comps.append((name, MAKE + args, problem))
    return comps, error


def run_components(tally, root=None):
    """Runs every suite of COMPONENTS; one that cannot run is a failed check
    that says why (its makefile is missing, or does not define its target)."""
    comps, error = components(root)
    if error:
        print(bold("\nthe Makefile"))
        tally.check(False, "make reads the Makefile and every file it includes", error)
    not_run = []
    for name, cmd, problem in comps:
        if problem:
            print(bold(f"\n{name}") + dim(f"  ({' '.join(cmd)})"))
            tally.check(False, f"{name}: {problem}")
        elif error:
            not_run.append(name)
        else:
            run_component(name, cmd, tally)
    if not_run:
        print(bold("\nthe other suites"))
        tally.check(False, f"{len(not_run)} other suites not run: make cannot read the Makefile",
                    "\n".join(not_run))


def main(argv):
    steps_only = "--steps-only" in argv
    memcheck = "--skip-memcheck" not in argv
    names = [a for a in argv if not a.startswith("--")]
    steps = [resolve_step(a) for a in names] if names else all_steps()
    tally = Tally()
    t0 = time.monotonic()
    for step in steps:
        check_step(step, tally, memcheck)
    if not steps_only and not names:
        run_components(tally)
    print()
    took = time.monotonic() - t0
    for label, lines in tally.why:
        # Again at the end, where a reader of only the last screen (or a CI
        # page that keeps the tail) sees it.
        print(red(bold("Why: ")) + label)
        print("\n".join("    " + ln for ln in lines))
    if tally.failures:
        print(red(bold("Failed: ")) + "; ".join(tally.failures))
    print(dim(f"({took:.0f} s)"))
    print(f"{tally.passed} passed, {tally.failed} failed")
    return 0 if tally.failed == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except UsageError as e:
        print(red(str(e)))
        sys.exit(2)
