"""coursekit.steps: what the workspace says about its steps: their names
and titles, the learner's files, the tests of given code, the suites in
lesson order, the hints, and where a step's build goes. UsageError is a
step (or other argument) the learner named wrongly."""

import re
from pathlib import Path

from .workspace import BUILD, ROOT


def all_steps():
    return sorted(p.name for p in (ROOT / "steps").glob("[0-9][0-9]-*") if p.is_dir())


class UsageError(Exception):
    pass


def resolve_step(arg):
    """Turns '1', '01', 'step1', '01-design' or 'design' into '01-design'."""
    steps = all_steps()
    raw = (arg or "").strip()
    key = raw.lower()
    if key.startswith("step"):
        key = key[4:]
    for s in steps:
        num, name = s.split("-", 1)
        if key in (s, name) or (key.isdigit() and int(key) == int(num)):
            return s
    listing = ", ".join(f"{int(s[:2])} ({s[3:]})" for s in steps)
    if not raw:
        raise UsageError(f"Which step? Give its number, e.g. 'make step1' or 'STEP=1'.\n"
                         f"The steps are: {listing}.")
    raise UsageError(f"There is no step '{raw}'. The steps are: {listing}.\n"
                     f"Try 'make step{int(steps[0][:2]) if steps else 1}' or 'make check'.")


def step_num(step):
    return int(step[:2])


def step_title(step):
    return f"Step {step_num(step)} · {step[3:]}"


def learner_files(step):
    sol = ROOT / "solutions" / step
    return sorted(p.name for p in sol.iterdir() if p.is_file()) if sol.is_dir() else []


def given_tests(step):
    f = ROOT / "tests" / step / "given.txt"
    if not f.exists():
        return set()
    return {ln.strip() for ln in f.read_text().splitlines() if ln.strip() and not ln.startswith("#")}


def suites_of(step):
    """A step's suites in lesson order: the order of the sections of its
    hints.md, then any others alphabetically."""
    found = sorted(p.stem[5:] for p in (ROOT / "tests" / step).glob("test_*.c"))
    order = list(parse_hints(step))
    return sorted(found, key=lambda s: (order.index(s) if s in order else len(order), s))


# mk/step.mk's build folder of each kind of build (SANITIZE=...).
SANITIZE_DIRS = {"address": "", "thread": "-tsan", "none": "-plain"}


def build_dir(step, mode, sanitize="address", root=None):
    """Where mk/step.mk builds; root is its BUILD_ROOT when one was given."""
    return (Path(root) if root else BUILD / "steps" / step) / (mode + SANITIZE_DIRS[sanitize])


# A suite whose exercise shares state between threads says so in its source;
# its tests run once more built with ThreadSanitizer (see runner).
TSAN_RE = re.compile(r"^#define\s+TSAN_SUITE\b", re.M)


def tsan_suites(step):
    """The suites of a step that also run under ThreadSanitizer."""
    return [s for s in suites_of(step)
            if TSAN_RE.search((ROOT / "tests" / step / f"test_{s}.c").read_text(errors="replace"))]


def is_learner_source(step, path):
    """Whether a source path named in a report is one of the learner's files
    of this step (in steps/, solutions/ or a copy of either), not a test's."""
    p = Path(path)
    return p.name in learner_files(step) and p.parent.name == step


def parse_hints(step):
    """{suite: [hint, hint, hint]} from tests/STEP/hints.md."""
    f = ROOT / "tests" / step / "hints.md"
    hints, suite, cur = {}, None, None
    if not f.exists():
        return hints
    for ln in f.read_text().splitlines():
        m = re.match(r"^##\s+(\S+)", ln)
        if m:
            suite = m.group(1)
            hints[suite] = []
            cur = None
            continue
        if suite is None:
            continue
        m = re.match(r"^\d+\.\s+(.*)", ln)
        if m:
            cur = [m.group(1)]
            hints[suite].append(cur)
        elif cur is not None and ln.startswith("   ") and ln.strip():
            cur.append(ln.strip())
        elif not ln.strip():
            cur = None
    return {k: [" ".join(h) for h in v] for k, v in hints.items()}


def suite_file(step, suite):
    """The learner file an exercise lives in (same stem as the suite), if any."""
    for f in learner_files(step):
        if Path(f).stem == suite:
            return f"steps/{step}/{f}"
    files = learner_files(step)
    return f"steps/{step}/{files[0]}" if len(files) == 1 else f"steps/{step}/"
