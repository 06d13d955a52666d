# mk/mistakes.mk: the catalogue of learner mistakes, and the declarations
# of which file each test checks. Included by the top-level Makefile.
#
#   make test-mistakes     every tests/NN-name/mistakes.md entry applied to
#                          the solution, the step run as a learner who made
#                          that mistake would run it: each must fail, with
#                          "Next: edit" naming the edited file (tools/checks/mistakes.py).
#                          MISTAKES_ARGS="--step 4 -v" narrows it down.
#   make test-exercises    every suite declares the learner file its tests
#                          check (tools/course/coursekit/exercises.py), and the file exists.
#
# Both end with "N passed, M failed".

.PHONY: test-mistakes test-exercises

# The shared parts first: the checker builds two steps at once, and both
# would otherwise try to build the runtime library.
test-mistakes: shared
	@$(PYTHON) tools/checks/mistakes.py $(MISTAKES_ARGS)

test-exercises:
	@$(PYTHON) tests/workspace/tools/test_exercises.py
