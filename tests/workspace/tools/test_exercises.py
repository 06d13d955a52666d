#!/usr/bin/env python3
"""test_exercises.py: tools/course/coursekit/exercises.py's declarations, and tools/checks/mistakes.py's catalogues.

  1. every suite of every step declares the learner file its tests check
     (#define EXERCISE_FILE), and that file, every per-test marker
     (/* exercise: FILE */) and every dependency (EXERCISE_NEEDS,
     /* needs: ... */) names a file of solutions/NN-name;
  2. exercise_file, needed_files and verdict_file on a small workspace of
     their own: the suite's file, a test's own file, a needed file that is
     unfinished, a suite that could not run;
  3. every catalogue (tests/NN-name/mistakes.md) parses, names learner
     files, and each of its find texts occurs exactly once in the solution;
     the parser reports what is malformed or stale.

  python3 tests/workspace/tools/test_exercises.py

Ends with "N passed, M failed"; exits non-zero on a failure. No step is
built: a few seconds.
"""

import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(Path(__file__).resolve().parents[3] / "tools" / d) for d in ("course", "checks")]

from coursekit import exercises  # noqa: E402
import mistakes  # noqa: E402


def all_steps():
    return sorted(p.name for p in (ROOT / "steps").glob("[0-9][0-9]-*") if p.is_dir())


def learner_files(step):
    return {p.name for p in (ROOT / "solutions" / step).iterdir() if p.is_file()}


class Declarations(unittest.TestCase):
    """The repository's own tests declare their files."""

    def test_every_suite_declares_a_learner_file(self):
        for step in all_steps():
            files = learner_files(step)
            for suite in exercises.all_suites(ROOT, step):
                with self.subTest(step=step, suite=suite):
                    try:
                        suite_file, needs, tests, test_needs = exercises.declarations(ROOT, step, suite)
                    except exercises.DeclarationError as e:
                        self.fail(str(e))
                    self.assertIn(suite_file, files,
                                  f"tests/{step}/test_{suite}.c: EXERCISE_FILE \"{suite_file}\" is "
                                  f"not a file of solutions/{step}/")
                    for n in needs:
                        self.assertIn(n, files, f"tests/{step}/test_{suite}.c: EXERCISE_NEEDS "
                                                f"names {n}, not a learner file")

    def test_markers_name_learner_files_and_real_tests(self):
        for step in all_steps():
            files = learner_files(step)
            for suite in exercises.all_suites(ROOT, step):
                _, _, tests, test_needs = exercises.declarations(ROOT, step, suite)
                run = set(exercises.test_names(ROOT, step, suite))
                for test, f in tests.items():
                    with self.subTest(step=step, test=test):
                        self.assertIn(f, files, f"{test}: /* exercise: {f} */ is not a learner file")
                        self.assertIn(test, run, f"{test} has a marker but is not in the suite's list")
                for test, needs in test_needs.items():
                    with self.subTest(step=step, test=test):
                        for n in needs:
                            self.assertIn(n, files, f"{test}: /* needs: {n} */ is not a learner file")
                        self.assertNotIn(exercises.exercise_name(ROOT, step, suite, test), needs,
                                         f"{test} needs its own file")

    def test_every_learner_file_is_checked_by_some_suite(self):
        for step in all_steps():
            for f in learner_files(step):
                with self.subTest(step=step, file=f):
                    self.assertTrue(exercises.suites_checking(ROOT, step, f),
                                    f"no suite of {step} declares {f}: its mistakes could not "
                                    f"be run, and no verdict would ever name it")

    def test_paths_are_files_never_folders(self):
        for step in all_steps():
            for suite in exercises.all_suites(ROOT, step):
                for test in [None] + exercises.test_names(ROOT, step, suite):
                    path = exercises.exercise_file(ROOT, step, suite, test)
                    with self.subTest(path=path):
                        self.assertTrue(path.startswith(f"steps/{step}/"))
                        self.assertFalse(path.endswith("/"))
                        self.assertTrue((ROOT / "solutions" / step / Path(path).name).is_file())


def fake_workspace(tmp):
    """A step with three learner files and three suites:
    alpha (a.c), beta (b.c; one test checks a.c), gamma (c.c; needs a.c b.c)."""
    root = Path(tmp)
    step = "01-fake"
    (root / "steps" / step).mkdir(parents=True)
    (root / "solutions" / step).mkdir(parents=True)
    t = root / "tests" / step
    t.mkdir(parents=True)
    for f in ("a.c", "b.c", "c.c"):
        (root / "solutions" / step / f).write_text("int x;\n")
    (t / "hints.md").write_text("## gamma\n1. x\n## alpha\n1. x\n## beta\n1. x\n")
    (t / "test_alpha.c").write_text(textwrap.dedent("""\
        #define LESSON_PAGE "steps/01-fake.md"
        #define EXERCISE_FILE "a.c"
        static void test_alpha_one(void **state) { (void)state; }
        int main(void) { cmocka_unit_test(test_alpha_one); }
        """))
    (t / "test_beta.c").write_text(textwrap.dedent("""\
        #define LESSON_PAGE "steps/01-fake.md"
        #define EXERCISE_FILE "b.c"
        static void test_beta_own(void **state) { (void)state; }
        /* A doc comment first, then the marker. */
        /* exercise: a.c */
        static void test_beta_on_a(void **state) { (void)state; }
        int main(void) { cmocka_unit_test(test_beta_own); cmocka_unit_test(test_beta_on_a); }
        """))
    (t / "test_gamma.c").write_text(textwrap.dedent("""\
        #define LESSON_PAGE "steps/01-fake.md"
        #define EXERCISE_FILE "c.c"
        #define EXERCISE_NEEDS "a.c b.c"
        static void test_gamma_all(void **state) { (void)state; }
        /* needs: b.c */
        static void test_gamma_b_only(void **state) { (void)state; }
        int main(void) { cmocka_unit_test(test_gamma_all); cmocka_unit_test(test_gamma_b_only); }
        """))
    (t / "test_nodecl.c").write_text('#define LESSON_PAGE "x"\nstatic void test_n(void **s) {}\n')
    return root, step


def result(*suites):
    """A run's result from (suite, [(test, status)], problem) triples."""
    return {"suites": [{"name": s, "tests": [{"name": n, "status": st} for n, st in tests],
                        "problem": problem} for s, tests, problem in suites]}


class Resolution(unittest.TestCase):
    """exercise_file, needed_files and verdict_file on a workspace of their own."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root, self.step = fake_workspace(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_suite_and_test_files(self):
        r, s = self.root, self.step
        self.assertEqual(exercises.exercise_file(r, s, "alpha"), "steps/01-fake/a.c")
        self.assertEqual(exercises.exercise_file(r, s, "beta"), "steps/01-fake/b.c")
        self.assertEqual(exercises.exercise_file(r, s, "beta", "test_beta_own"), "steps/01-fake/b.c")
        self.assertEqual(exercises.exercise_file(r, s, "beta", "test_beta_on_a"), "steps/01-fake/a.c")
        self.assertEqual(exercises.exercise_file(r, s, "beta", "test_unknown"), "steps/01-fake/b.c")

    def test_needs(self):
        r, s = self.root, self.step
        self.assertEqual(exercises.needed_files(r, s, "gamma"),
                         ["steps/01-fake/a.c", "steps/01-fake/b.c"])
        self.assertEqual(exercises.needed_files(r, s, "gamma", "test_gamma_all"),
                         ["steps/01-fake/a.c", "steps/01-fake/b.c"])
        self.assertEqual(exercises.needed_files(r, s, "gamma", "test_gamma_b_only"),
                         ["steps/01-fake/b.c"])
        self.assertEqual(exercises.needed_files(r, s, "alpha"), [])

    def test_declarations_broken_by_the_formatter(self):
        # A #define too long for 80 columns: `make format` puts its value on
        # the next line, after a backslash.
        t = self.root / "tests" / self.step
        (t / "test_delta.c").write_text(
            '#define LESSON_PAGE "steps/01-fake.md"\n'
            '#define EXERCISE_FILE                                                          \\\n'
            '    "c.c" /* a comment that made the line too long */\n'
            '#define EXERCISE_NEEDS \\\n    "a.c b.c" /* and another */\n'
            'static void test_delta(void **state) { (void)state; }\n')
        self.assertEqual(exercises.exercise_file(self.root, self.step, "delta"), "steps/01-fake/c.c")
        self.assertEqual(exercises.needed_files(self.root, self.step, "delta"),
                         ["steps/01-fake/a.c", "steps/01-fake/b.c"])

    def test_missing_declaration(self):
        with self.assertRaises(exercises.DeclarationError) as e:
            exercises.exercise_file(self.root, self.step, "nodecl")
        self.assertIn("EXERCISE_FILE", str(e.exception))

    def test_lesson_order_and_suites_checking(self):
        r, s = self.root, self.step
        self.assertEqual(exercises.lesson_order(r, s), ["gamma", "alpha", "beta", "nodecl"])
        with self.assertRaises(exercises.DeclarationError):
            exercises.suites_checking(r, s, "a.c")  # nodecl has no declaration

    def test_verdict_first_failure(self):
        r, s = self.root, self.step
        res = result(("alpha", [("test_alpha_one", "pass")], None),
                     ("beta", [("test_beta_own", "fail"), ("test_beta_on_a", "fail")], None))
        self.assertEqual(exercises.verdict_file(r, s, res), "steps/01-fake/b.c")
        res = result(("beta", [("test_beta_own", "pass"), ("test_beta_on_a", "fail")], None))
        self.assertEqual(exercises.verdict_file(r, s, res), "steps/01-fake/a.c")

    def test_verdict_nothing_failed(self):
        res = result(("alpha", [("test_alpha_one", "pass")], None))
        self.assertIsNone(exercises.verdict_file(self.root, self.step, res))

    def test_verdict_needed_file_unfinished(self):
        r, s = self.root, self.step
        # gamma comes first in lesson order and fails; a.c is unfinished too.
        res = result(("gamma", [("test_gamma_all", "fail"), ("test_gamma_b_only", "pass")], None),
                     ("alpha", [("test_alpha_one", "fail")], None),
                     ("beta", [("test_beta_own", "pass"), ("test_beta_on_a", "pass")], None))
        self.assertEqual(exercises.verdict_file(r, s, res), "steps/01-fake/a.c")
        # The needed files are done: gamma's own file.
        res = result(("gamma", [("test_gamma_all", "fail")], None),
                     ("alpha", [("test_alpha_one", "pass")], None))
        self.assertEqual(exercises.verdict_file(r, s, res), "steps/01-fake/c.c")
        # A test that needs only b.c is not redirected to an unfinished a.c.
        res = result(("gamma", [("test_gamma_all", "pass"), ("test_gamma_b_only", "fail")], None),
                     ("alpha", [("test_alpha_one", "fail")], None))
        self.assertEqual(exercises.verdict_file(r, s, res), "steps/01-fake/c.c")

    def test_verdict_needed_file_through_a_marker(self):
        r, s = self.root, self.step
        # a.c's only failing test lives in beta's suite.
        res = result(("gamma", [("test_gamma_all", "fail")], None),
                     ("beta", [("test_beta_own", "pass"), ("test_beta_on_a", "fail")], None))
        self.assertEqual(exercises.verdict_file(r, s, res), "steps/01-fake/a.c")

    def test_verdict_suite_that_could_not_run(self):
        r, s = self.root, self.step
        res = result(("alpha", [], "crashed with signal 11"),
                     ("beta", [("test_beta_own", "fail")], None))
        self.assertEqual(exercises.verdict_file(r, s, res), "steps/01-fake/a.c")
        # A suite that stopped after a failing test: the test's own file.
        res = result(("beta", [("test_beta_own", "pass"), ("test_beta_on_a", "fail")],
                      "crashed with signal 11"))
        self.assertEqual(exercises.verdict_file(r, s, res), "steps/01-fake/a.c")


class Catalogues(unittest.TestCase):
    """tests/NN-name/mistakes.md: well formed, and none of it stale."""

    def test_every_catalogue_parses_and_applies(self):
        steps = all_steps()
        cats, errors = mistakes.load_catalogues(steps)
        self.assertEqual(errors, [])
        n = 0
        for step, (entries, four) in cats.items():
            files = learner_files(step)
            for m in entries:
                n += 1
                with self.subTest(step=step, id=m.id):
                    self.assertIn(m.file, files)
                    text = (ROOT / "solutions" / step / m.file).read_text()
                    changed = mistakes.apply_edits(m, text)
                    self.assertNotEqual(changed, text, "the edit changes nothing")
            for item in four:
                with self.subTest(step=step, four=item):
                    f, _, unit = item.partition(":")
                    self.assertIn(f, files)
                    self.assertIn((f, unit), mistakes.starter_exercises(step),
                                  f"Four each names {item}, not an exercise of the starter")
        self.assertGreaterEqual(n, 100, "the course's catalogue holds at least 100 mistakes")

    def test_parser_reads_an_entry(self):
        text = textwrap.dedent("""\
            # Step 9

            Four each: `a.c:f` `a.c:g`
            `b.c:h`

            ## one · a.c

            What went wrong,
            on two lines.
            needs: asan
            exercise: f

            ```find
                x = 1;
            ```

            ```replace
            ```

            ```find
            y
            ```

            ```replace
            z
            ```
            """)
        entries, four, errors = mistakes.parse_catalogue("09-x", text)
        self.assertEqual(errors, [])
        self.assertEqual(four, {"a.c:f", "a.c:g", "b.c:h"})
        self.assertEqual(len(entries), 1)
        m = entries[0]
        self.assertEqual((m.id, m.file, m.what), ("one", "a.c", "What went wrong, on two lines."))
        self.assertEqual(m.needs, ["asan"])
        self.assertEqual(m.exercise, "f")
        self.assertEqual(m.edits, [("    x = 1;", ""), ("y", "z")])
        self.assertEqual(mistakes.apply_edits(m, "a\n    x = 1;\ny\n"), "a\n\nz\n")

    def test_parser_reports_malformed_entries(self):
        text = textwrap.dedent("""\
            ## no-file-here

            ## two · a.c
            No edit at all.

            ## three · a.c
            A find without its replace.
            ```find
            x
            ```

            ## four · a.c
            needs: valgrind
            ```find
            x
            ```
            ```replace
            y
            ```

            ## five · a.c
            ```find
            x
            ```
            ```replace
            y
            ```
            """)
        _, _, errors = mistakes.parse_catalogue("09-x", text)
        joined = "\n".join(errors)
        self.assertIn("'## ID · FILE'", joined)
        self.assertIn("two: no ```find / ```replace edit", joined)
        self.assertIn("three: a ```find block without its ```replace", joined)
        self.assertIn("four: needs: valgrind", joined)
        self.assertIn("five: no line saying what the learner got wrong", joined)

    def test_stale_entries_are_reported(self):
        m = mistakes.Mistake("09-x", "gone", "a.c", "w", [("missing", "")])
        with self.assertRaises(mistakes.CatalogueError) as e:
            mistakes.apply_edits(m, "int x;\n")
        self.assertIn("not found", str(e.exception))
        self.assertIn("tests/09-x/mistakes.md", str(e.exception))
        m = mistakes.Mistake("09-x", "twice", "a.c", "w", [("x", "y")])
        with self.assertRaises(mistakes.CatalogueError) as e:
            mistakes.apply_edits(m, "x x\n")
        self.assertIn("found 2 times", str(e.exception))

    def test_find_texts_ignore_layout(self):
        # After `make format` moved line breaks and spaces, the entry still
        # applies, to the one place it names, with the file's own indentation.
        find = ('    snprintf(why, sizeof why, "line %d: a second # TYPE for "\n'
                '             "%s", line_no, name);\n')
        m = mistakes.Mistake("09-x", "moved", "a.c", "w", [(find, "    why[0] = 0;\n")])
        formatted = ('{\n        snprintf(why, sizeof why,\n'
                     '                 "line %d: a second # TYPE for "\n'
                     '                 "%s",\n                 line_no, name);\n        return why;\n}\n')
        self.assertEqual(mistakes.apply_edits(m, formatted),
                         "{\n    why[0] = 0;\n        return why;\n}\n")
        # Spaces that appear or vanish between tokens do not count either.
        m = mistakes.Mistake("09-x", "spaced", "a.c", "w", [("f(a,b)", "g(a)")])
        self.assertEqual(mistakes.apply_edits(m, "x = f( a, b );\n"), "x = g(a);\n")
        # The exact text, when it is there, is what gets replaced.
        m = mistakes.Mistake("09-x", "exact", "a.c", "w", [("    x = 1;", "")])
        self.assertEqual(mistakes.apply_edits(m, "a\n    x = 1;\ny\n"), "a\n\ny\n")

    def test_layout_blind_find_texts_must_still_be_unique(self):
        m = mistakes.Mistake("09-x", "twice", "a.c", "w", [("x = 1;", "")], line=7)
        with self.assertRaises(mistakes.CatalogueError) as e:
            mistakes.apply_edits(m, "x = 1;\nx=1;\n")
        self.assertIn("found 2 times", str(e.exception))
        self.assertIn("tests/09-x/mistakes.md:7", str(e.exception))
        m = mistakes.Mistake("09-x", "gone", "a.c", "w", [("x = 1;\ny = 2;", "")], line=9)
        with self.assertRaises(mistakes.CatalogueError) as e:
            mistakes.apply_edits(m, "x = 1;\nz = 2;\n")
        self.assertIn("not found", str(e.exception))
        self.assertIn("tests/09-x/mistakes.md:9", str(e.exception))
        self.assertEqual(mistakes.find_spans("ab\n", "   \n"), [], "a find text of blanks finds nothing")

    def test_units_of_c_proto_and_make(self):
        c = ["static int f(void)", "{", "    return 0; /* TODO */", "}", "",
             "struct pool {", "    int next; /* TODO */", "};", "",
             "const int T[] = {", "    1, /* TODO */", "};"]
        self.assertEqual(mistakes.unit_at("x.c", c, 2), "f")
        self.assertEqual(mistakes.unit_at("x.c", c, 6), "struct pool")
        self.assertEqual(mistakes.unit_at("x.c", c, 10), "T")
        p = ["package a.v1;", "// TODO: service Foo with Bar", "message M {", "  // TODO", "}"]
        self.assertEqual(mistakes.unit_at("x.proto", p, 0), "package")
        self.assertEqual(mistakes.unit_at("x.proto", p, 1), "Foo")
        self.assertEqual(mistakes.unit_at("x.proto", p, 3), "M")
        mk = ["PROTOS := a # TODO", "out/%.c: %.proto", "\tprotoc $< # TODO"]
        self.assertEqual(mistakes.unit_at("x.mk", mk, 0), "PROTOS")
        self.assertEqual(mistakes.unit_at("x.mk", mk, 2), "rule out/%.c")


class Result(unittest.TextTestResult):
    """Counts what passed, for the closing line the workspace's checks read."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0
        self.subtest_failed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.subtest_failed += 1


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    runner = unittest.TextTestRunner(resultclass=Result, verbosity=2, stream=sys.stdout)
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors)
    # A test whose subtests failed counts once, as failed.
    print(f"{res.passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
