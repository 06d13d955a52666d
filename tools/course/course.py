#!/usr/bin/env python3
"""course.py: the workspace's step tooling, behind the top-level Makefile.

  run STEP [--mode starter|solution] [--valgrind] [--again CMD]
                     run a built suite, print the verdict (CMD: what runs it again)
  step STEP          build and test the learner's step, print a verdict and what to do next
  check              progress table over every step
  report             results of every step as JSON and JUnit XML (for a teacher)
  class-report DIR   a table of the class from the reports collected in DIR
  hint STEP          the next hint for the first unsolved exercise of a step
  reset STEP         restore a step's starter files (a backup of your files is kept)
  watch STEP         re-run a step's tests on every save
  help               the commands and the steps, with progress

STEP may be 1, 01, step1, 01-design or design. Only the standard library is used.
"""

# The command line only: the work is in the package tools/course/coursekit/, one
# job per module (its __init__.py lists them).

import signal
import sys

from coursekit import classroom
from coursekit.commands import CLASS_SOURCES, COMMANDS
from coursekit.steps import UsageError
from coursekit.term import red


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    classroom.source = CLASS_SOURCES.get(argv[0])
    try:
        return COMMANDS[argv[0]](argv[1:])
    except UsageError as e:
        print(red(str(e)))
        return 2
    finally:
        classroom.flush()  # sends this command's results to the class board, in the background


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `make help | head` is fine
    sys.exit(main(sys.argv[1:]))
