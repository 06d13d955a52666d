"""coursekit: the step tooling behind tools/course/course.py, one job per module.

  term       colours and progress bars on a terminal
  workspace  where things are: the root, build/, results, the learner's state
  lessons    lesson pages, linked in the learner's language
  steps      the steps: names, files, given tests, suites, hints
  exercises  which learner file each test checks (EXERCISE_FILE, needs)
  cmocka     reading a suite's output: statuses, messages, lesson pointers
  sanreport  reading a sanitizer's report in the learner's terms
  build      building a step's tests with make; the first compile error
  classroom  the live classroom: results queued and sent to a class board; join, leave, watch
  runner     running a step's suites into a result; build/results/
  verdict    what the learner reads after a run
  report     results.json, junit.xml and the class table, for a teacher
  commands   the cmd_* functions of course.py's subcommands

No import cycle among the modules (tests/workspace/tools/test_course.py checks it).
Only the standard library is used.
"""
