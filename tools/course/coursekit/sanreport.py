"""coursekit.sanreport: reading a sanitizer's report for the learner.

A step's tests run built with AddressSanitizer, LeakSanitizer and UBSan (or
ThreadSanitizer), see mk/step.mk. When one of them stops a test program, its
report is long and mostly about gRPC's and libc's frames. This module finds
the first report in a program's output and says, in the learner's terms,
what went wrong and where in the learner's own code: the first frame of the
report's first stack that lies in one of the learner's files.
"""

import re
from pathlib import Path

# What each report is, in words a learner new to the sanitizers reads.
KINDS = [
    (re.compile(r"LeakSanitizer: detected memory leaks"), "memory leak",
     "memory allocated here is never freed"),
    (re.compile(r"AddressSanitizer: heap-use-after-free"), "use after free",
     "memory is used after it was freed"),
    (re.compile(r"AddressSanitizer: double-free"), "double free",
     "memory is freed twice"),
    (re.compile(r"AddressSanitizer: (heap|stack|global)-buffer-overflow"), "read or write past a buffer",
     "an access goes past the end (or before the start) of a buffer"),
    (re.compile(r"AddressSanitizer: stack-use-after-(return|scope)"), "use of a dead local",
     "a pointer to a local variable is used after its function returned"),
    (re.compile(r"AddressSanitizer: attempting free on address which was not malloc"), "bad free",
     "free() is given a pointer that malloc did not return"),
    (re.compile(r"AddressSanitizer: SEGV"), "crash (bad pointer)",
     "a pointer that points nowhere (often NULL) is used"),
    (re.compile(r"AddressSanitizer: \S+"), "memory error",
     "memory is used in a way C does not allow"),
    (re.compile(r"runtime error: (load|store) of address .* insufficient space"), "read or write past a buffer",
     "an access goes past the end of a buffer"),
    (re.compile(r"runtime error: .*null pointer"), "NULL pointer used",
     "a NULL pointer is read, written or called"),
    (re.compile(r"runtime error: "), "undefined behaviour",
     "the code does something C leaves undefined"),
    (re.compile(r"ThreadSanitizer: data race"), "data race",
     "two threads use the same memory at once, and at least one writes, with no lock or atomic"),
    (re.compile(r"ThreadSanitizer: lock-order-inversion"), "possible deadlock",
     "two locks are taken in opposite orders by different threads"),
    (re.compile(r"ThreadSanitizer: \S+"), "thread error",
     "threads share something unsafely"),
]

START_RE = re.compile(r"(ERROR|WARNING): (Address|Leak|Thread)Sanitizer|runtime error: ")
# "#1 0x55f4b3b65c24 in get_user /path/file.c:35" (ASan, LSan) or
# "#0 bump /path/file.c:6 (prog+0x11ef)" (TSan); a column may follow the line.
FRAME_RE = re.compile(r"^\s*#\d+\s+(?:0x[0-9a-f]+\s+in\s+)?(\S+)\s+(\S+?):(\d+)(?::\d+)?(?:\s|$)")
# UBSan names the place first: "/path/file.c:10:57: runtime error: ..."
UBSAN_RE = re.compile(r"^(\S+?):(\d+):\d+: runtime error: (.*)$")


def find_report(output):
    """The lines of the first sanitizer report in a program's output, or None."""
    lines = output.splitlines()
    for i, ln in enumerate(lines):
        if START_RE.search(ln):
            end = len(lines)
            for j in range(i + 1, len(lines)):
                if lines[j].startswith("SUMMARY:") or lines[j].startswith("=================="):
                    end = j + 1
                    break
            return lines[i:min(end, i + 200)]
    return None


def explain(output, is_learner_file):
    """Reads the first sanitizer report in OUTPUT. is_learner_file(path) says
    whether a source path is one of the learner's files. Returns None when
    there is no report, else a dict: kind, meaning, where ('file:line' of the
    first learner frame, or None), function, path (that frame's path), line
    (the report's headline) and excerpt (a few lines worth showing)."""
    report = find_report(output)
    if not report:
        return None
    head = next((ln for ln in report if START_RE.search(ln)), report[0])
    kind, meaning = "memory error", "memory is used in a way C does not allow"
    for rx, k, m in KINDS:
        if rx.search(head):
            kind, meaning = k, m
            break
    where = function = path = None
    frames = []
    u = UBSAN_RE.match(head.strip())
    if u:
        frames.append(("", u.group(1), u.group(2)))
    for ln in report:
        m = FRAME_RE.match(ln)
        if m:
            frames.append((m.group(1), m.group(2), m.group(3)))
    for fn, p, line in frames:
        if is_learner_file(p):
            where, function, path = f"{Path(p).name}:{line}", fn or None, p
            break
    excerpt = [ln for ln in report if START_RE.search(ln) or FRAME_RE.match(ln)
               or re.match(r"^\s*(Direct|Indirect) leak|^\s*(READ|WRITE|Read|Write|Previous)", ln)][:12]
    return {"kind": kind, "meaning": meaning, "where": where, "function": function, "path": path,
            "line": head.strip(), "excerpt": excerpt}
