"""coursekit.verdict: what the learner reads after a step ran: the verdict,
the first failing test and its lesson section, a build failure, and the
command to run again."""

from . import exercises
from .build import first_compile_error
from .lessons import lesson_link, localize
from .steps import all_steps, step_num, step_title, suite_file
from .term import bar, bold, dim, green, red, yellow
from .workspace import ROOT


def rerun_command(step, mode="starter", valgrind=False):
    """The top-level command that runs this step again, as the learner typed it."""
    n = step_num(step)
    if valgrind:
        return f"make memcheck STEP={n}" + (" SOLUTION=1" if mode == "solution" else "")
    if mode == "solution":
        return f"make solution STEP={n}"
    return f"make step{n}"


def print_verdict(result, show_next=True, again=None):
    """Prints a step's verdict; again is the command that runs it again (by
    default the top-level one, e.g. make step2)."""
    step, mode = result["step"], result["mode"]
    total, passed = result["total"], result["passed"]
    what = {"starter": "", "solution": " (reference solution)"}[mode]
    vg = " under valgrind" if result["valgrind"] else ""
    print()
    head = f"{step_title(step)}{what}{vg}: {passed} of {total} tests pass"
    if passed == total and any(s.get("sanitizer") for s in result["suites"]):
        head += ", but the checker found a problem"
    print(bold(green(head) if result["ok"] else head))
    width = max((len(s["name"]) for s in result["suites"]), default=8)
    for s in result["suites"]:
        sp = sum(t["status"] in ("pass", "skip") for t in s["tests"])
        st = len(s["tests"])
        mark = green("✓") if st and sp == st and not s.get("problem") else red("✗")
        extra = f"  {red(s['problem'].splitlines()[0])}" if s.get("problem") else ""
        print(f"  {mark} {s['name']:<{width}}  {sp:>3}/{st:<3} {bar(sp, st, 10)}{extra}")
    failing = [(s, t) for s in result["suites"] for t in s["tests"] if t["status"] == "fail"]
    if failing:
        s, t = failing[0]
        print(f"\n{bold('First failing test:')} {t['name']}  {dim('(' + s['name'] + ')')}")
        for ln in (t.get("message") or "failed").splitlines():
            print(f"    {ln}")
        if t.get("stderr"):
            print(f"    {dim('what ' + t['stderr']['program'] + ' printed last on stderr:')}")
            for ln in t["stderr"]["lines"]:
                print(f"      {ln}")
        if t.get("see"):
            print(f"    {yellow('read:')} {localize(t['see'])}")
    for p in result["problems"]:
        if "\n" in p:
            print(red(p))
    if not show_next:
        return
    n = step_num(step)
    again = bold(again or rerun_command(step, mode, result["valgrind"]))
    print()
    if mode == "solution" and not result["ok"]:
        print_solution_advice(again, "pass")
        return
    if result["ok"]:
        nxt = [s for s in all_steps() if step_num(s) > n]
        if mode == "solution":
            print("The reference solution passes. Your own files are untouched.")
        elif result["valgrind"]:
            print(green("No memory errors or leaks. ") + (f"Next: make step{step_num(nxt[0])}" if nxt else "That was the last step."))
        elif nxt:
            print(green(f"Step {n} done! ") + f"Next: {bold('make step' + str(step_num(nxt[0])))}"
                  f"  (lesson: {lesson_link(nxt[0])})")
            print(f"Every run checked memory and threads too; {bold(f'make memcheck STEP={n}')} "
                  "adds valgrind's opinion.")
        else:
            print(green("That was the last step: the course is done. ") + "'make check' shows the whole table.")
    else:
        found = [s["sanitizer"] for s in result["suites"] if s.get("sanitizer")]
        if failing:
            s, t = failing[0]
            target, own = next_file(step, result, s, t)
            if target != own:
                print(f"This test needs {bold(target)} finished first: tests of that file fail too.")
            print(f"Next: edit {bold(target)}, then run {again} again.")
        elif found:
            f = found[0]
            print(f"{bold('The checker found a ' + f['kind'] + ':')} {f['meaning']}.")
            if f["file"]:
                print(f"Next: edit {bold(f['file'])}, {f['line']}, then run {again} again.")
            else:
                print(f"Next: run the suite named above by hand to read the whole report, then run {again} again.")
            print(f"    {yellow('read:')} {localize(f['see'])}")
        elif result["valgrind"] and result["problems"]:
            print("Next: open the log named above and read the first report down to a line of your "
                  "own file ('definitely lost',")
            print(f"'Invalid read', 'Invalid write'); fix that, then run {again} again.")
        elif result["problems"]:
            print(f"Next: fix the problem above, then run {again} again.")
        print(f"Stuck? {bold(f'make hint STEP={n}')} gives one hint at a time; the lesson is {lesson_link(step)}.")


def next_file(step, result, suite, test):
    """(the file "Next: edit" names, the file the failing test checks): the
    learner file where a sanitizer stopped the test, or else the file the
    tests declare (coursekit.exercises), which is a file the test needs
    when that one is unfinished. A suite with no declaration falls back to
    the file named like the suite."""
    if test.get("file"):
        return test["file"], test["file"]
    try:
        own = exercises.exercise_file(ROOT, step, suite["name"], test["name"])
        return exercises.verdict_file(ROOT, step, result) or own, own
    except exercises.DeclarationError:
        own = suite_file(step, suite["name"])
        return own, own


def print_solution_advice(again, what):
    """What to do when the reference solution itself fails to build or pass."""
    print(f"The reference solution should {what} as it is. If you changed a file the step gives you")
    print(f"(not one of your exercise files), put it back; otherwise {bold('make doctor')} checks the tools.")
    print(f"Then run {again} again.")


def print_build_failure(step, mode, valgrind, output):
    """The verdict when a step's code does not compile."""
    n = step_num(step)
    what = " (reference solution)" if mode == "solution" else ""
    again = bold(rerun_command(step, mode, valgrind))
    err = first_compile_error(output)
    print()
    if mode == "solution":
        print(bold(f"{step_title(step)}{what}: the code does not compile."))
    else:
        print(bold(f"{step_title(step)}: the code does not compile yet."))
    if err:
        print(f"    first error: {localize(err.replace(str(ROOT) + '/', ''))}")
    if mode == "solution":
        print_solution_advice(again, "build")
    else:
        print(f"Next: fix the first error above (the ones after it often follow from it), "
              f"then run {again} again.")
