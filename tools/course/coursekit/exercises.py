"""coursekit.exercises: which learner file each test checks, as the tests
declare it, and so which file the verdict's "Next: edit" names.

The verdict's "Next: edit FILE" names one file: the file of the first
unfinished exercise. That file is declared with the test, never guessed
from a suite's name:

  - every suite tests/NN-name/test_<suite>.c says which file its tests check,
    next to its LESSON_PAGE:

        #define LESSON_PAGE "steps/04-server.md"
        #define EXERCISE_FILE "chat_room.c"

  - a test that checks another file says so on the line(s) right above its
    function (only marker comments between the two):

        /* exercise: user_service.c */
        static void test_network_get_user(void **state)

  - a test that can only pass once other exercises are done too names them,
    for the whole suite or for one test:

        #define EXERCISE_NEEDS "config.c health.c"
        /* needs: config.c health.c */

    When such a test fails while a file it needs is unfinished (one of that
    file's own tests fails too), the verdict names the needed file: it is
    the one to finish first.

Functions (paths are relative to the workspace, e.g. steps/04-server/chat_room.c):

  exercise_file(root, step, suite, test=None)  the file a test (or a suite) checks
  needed_files(root, step, suite, test=None)   the files it needs done first
  lesson_order(root, step)                     the suites, in the order of hints.md
  verdict_file(root, step, result)             the file "Next: edit" names for a
                                               run (course.run_step_suites' result)

  python3 -m coursekit.exercises [STEP ...]    (from tools/) prints every step's
                                               declarations

Only the standard library is used.
"""

import re
import sys
from functools import lru_cache
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parents[3]

# The value may follow on the next line (`make format` breaks a long
# #define after its name, with a backslash).
FILE_RE = re.compile(r'^\s*#\s*define\s+EXERCISE_FILE[\s\\]+"([^"]+)"', re.M)
SUITE_NEEDS_RE = re.compile(r'^\s*#\s*define\s+EXERCISE_NEEDS[\s\\]+"([^"]*)"', re.M)
TEST_FN_RE = re.compile(r"^(?:static\s+)?void\s+(\w+)\s*\(\s*void\s*\*\*\s*\w*\s*\)")
MARK_EXERCISE_RE = re.compile(r"^\s*/\*\s*exercise:\s*(\S+)\s*\*/\s*$")
MARK_NEEDS_RE = re.compile(r"^\s*/\*\s*needs:\s*(.*?)\s*\*/\s*$")
HINT_SUITE_RE = re.compile(r"^##\s+(\S+)")


class DeclarationError(Exception):
    """A suite whose declarations are missing or malformed."""


def _root(root):
    return Path(root) if root is not None else DEFAULT_ROOT


@lru_cache(maxsize=None)
def _parse_cached(test_file, mtime):
    text = Path(test_file).read_text(errors="replace")
    m = FILE_RE.search(text)
    suite_file = m.group(1) if m else None
    m = SUITE_NEEDS_RE.search(text)
    suite_needs = tuple(m.group(1).split()) if m else ()
    tests, needs = {}, {}
    lines = text.splitlines()
    for i, ln in enumerate(lines):
        fm = TEST_FN_RE.match(ln)
        if not fm:
            continue
        name = fm.group(1)
        j = i - 1
        while j >= 0:
            em = MARK_EXERCISE_RE.match(lines[j])
            nm = MARK_NEEDS_RE.match(lines[j])
            if em:
                tests[name] = em.group(1)
            elif nm:
                needs[name] = tuple(nm.group(1).split())
            else:
                break
            j -= 1
    return suite_file, suite_needs, tests, needs


def declarations(root, step, suite):
    """(suite_file, suite_needs, {test: file}, {test: needs}) of one suite, as
    written in tests/STEP/test_SUITE.c. Raises DeclarationError when the suite
    has no EXERCISE_FILE."""
    f = _root(root) / "tests" / step / f"test_{suite}.c"
    if not f.is_file():
        raise DeclarationError(f"tests/{step}/test_{suite}.c does not exist")
    decl = _parse_cached(str(f), f.stat().st_mtime_ns)
    if decl[0] is None:
        raise DeclarationError(f"tests/{step}/test_{suite}.c declares no "
                               f'#define EXERCISE_FILE "FILE" (the learner file its tests check)')
    return decl


def exercise_name(root, step, suite, test=None):
    """The bare name of the file a test checks, e.g. "chat_room.c"."""
    suite_file, _, tests, _ = declarations(root, step, suite)
    return tests.get(test, suite_file) if test else suite_file


def exercise_file(root, step, suite, test=None):
    """The file a test checks, as the learner types it: steps/NN-name/FILE.
    Without a test (or for a test with no marker of its own), the suite's file."""
    return f"steps/{step}/{exercise_name(root, step, suite, test)}"


def needed_names(root, step, suite, test=None):
    _, suite_needs, _, needs = declarations(root, step, suite)
    return list(needs.get(test, suite_needs) if test else suite_needs)


def needed_files(root, step, suite, test=None):
    """The files whose exercises must be done before this test can pass
    (besides its own file), as steps/NN-name/FILE paths."""
    return [f"steps/{step}/{n}" for n in needed_names(root, step, suite, test)]


def all_suites(root, step):
    d = _root(root) / "tests" / step
    return sorted(p.stem[5:] for p in d.glob("test_*.c"))


def lesson_order(root, step):
    """A step's suites in lesson order: the order of the ## sections of its
    hints.md, then any others alphabetically (as course.suites_of)."""
    found = all_suites(root, step)
    hints = _root(root) / "tests" / step / "hints.md"
    order = []
    if hints.is_file():
        for ln in hints.read_text(errors="replace").splitlines():
            m = HINT_SUITE_RE.match(ln)
            if m and m.group(1) not in order:
                order.append(m.group(1))
    return sorted(found, key=lambda s: (order.index(s) if s in order else len(order), s))


def test_names(root, step, suite):
    """The test functions of a suite, in file order (cmocka_unit_test lines)."""
    f = _root(root) / "tests" / step / f"test_{suite}.c"
    text = f.read_text(errors="replace")
    return re.findall(r"cmocka_unit_test\w*\(\s*(\w+)", text)


def suites_checking(root, step, name):
    """The suites with at least one test that checks the file `name` or needs
    it: the ones to run when that file changes. In lesson order."""
    out = []
    for suite in lesson_order(root, step):
        suite_file, suite_needs, tests, needs = declarations(root, step, suite)
        files = {suite_file, *tests.values(), *suite_needs}
        for n in needs.values():
            files.update(n)
        if name in files:
            out.append(suite)
    return out


def verdict_file(root, step, result):
    """The file the verdict's "Next: edit" names for a run: the file of the
    first failing test (suites in the result's order, which is lesson
    order), unless that test needs a file that is itself unfinished (one of
    its tests fails, or its suite could not run): then that file. A suite
    that could not run at all counts as failing on its own file.
    result: {"suites": [{"name", "tests": [{"name", "status"}], "problem"}]}.
    Returns None when nothing failed."""
    failing = []   # (suite, test or None), in order
    for s in result["suites"]:
        bad = [t["name"] for t in s.get("tests", []) if t.get("status") == "fail"]
        failing += [(s["name"], t) for t in bad]
        if s.get("problem") and not bad:
            failing.append((s["name"], None))
    if not failing:
        return None
    unfinished = []
    for suite, test in failing:
        name = exercise_name(root, step, suite, test)
        if name not in unfinished:
            unfinished.append(name)
    suite, test = failing[0]
    seen = set()

    def resolve(suite, test, name):
        # The first needed file that is unfinished, itself resolved the same
        # way through the tests that fail on it.
        for need in needed_names(root, step, suite, test):
            if need in unfinished and need not in seen:
                seen.add(need)
                for s2, t2 in failing:
                    if exercise_name(root, step, s2, t2) == need:
                        return resolve(s2, t2, need)
                return need
        return name

    return f"steps/{step}/{resolve(suite, test, exercise_name(root, step, suite, test))}"


def main(argv):
    root = DEFAULT_ROOT
    steps = argv or sorted(p.name for p in (root / "steps").glob("[0-9][0-9]-*") if p.is_dir())
    for step in steps:
        print(step)
        for suite in lesson_order(root, step):
            try:
                suite_file, suite_needs, tests, needs = declarations(root, step, suite)
            except DeclarationError as e:
                print(f"  {suite}: {e}")
                continue
            extra = f"  (needs {' '.join(suite_needs)})" if suite_needs else ""
            print(f"  {suite}: {suite_file}{extra}")
            for t in test_names(root, step, suite):
                if t in tests or t in needs:
                    n = f"  (needs {' '.join(needs[t])})" if t in needs else ""
                    print(f"    {t}: {tests.get(t, suite_file)}{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
