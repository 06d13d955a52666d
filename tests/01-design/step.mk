# tests/01-design/step.mk: the design-record tests read the course's .proto
# files with a small scanner that lives beside them.
EXTRA_SRCS += $(TEST_DIR)/proto_scan.c
