# mk/demo.mk: `make demo` and its test, included by the top-level Makefile.
#
#   make demo        build the reference server (step 4) and client (step 5),
#                    run the client through every kind of call, and say what
#                    happens (tools/course/demo.py)
#   make test-demo   the same as a test: its last line is "N passed, M failed"

.PHONY: demo test-demo

demo:
	@tools/setup/setup.sh --ensure core
	@$(or $(PYTHON),python3) tools/course/demo.py

test-demo:
	@tools/setup/setup.sh --ensure core
	@$(or $(PYTHON),python3) tools/course/demo.py --test
