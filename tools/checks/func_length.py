#!/usr/bin/env python3
"""func_length.py: no C function longer than 60 lines.

A function that does not fit on a screen is a function whose reader has to
keep its beginning in mind while reading its end; the runtime (lib/src) and
the code generator (tools/protoc-gen-cgrpc) keep every function short
enough to read in one look. The one exception is a dispatch switch: a
function that is one `switch` with a short case per value (a table written
as code), which is easier to read whole than cut in pieces. Those are
listed in DISPATCH_SWITCHES below, with the reason, and an entry there
only counts for a function that does contain a switch.

A function is found the way the project's style writes one: its opening
brace alone at column 0, after the line(s) of its signature, and its
closing brace at column 0. Its length is the number of lines from that
opening brace to that closing brace, both included. Anything else with a
brace at column 0 and no parameter list (a struct, an initialiser) is not
a function.

  python3 tools/checks/func_length.py [--max N] [--list] PATH ...

PATH is a .c file or a folder (its .c files, not recursive). Prints one
line per function over the limit, e.g.
  lib/src/server.c:312: shutdown_now is 97 lines (at most 60)
and exits 1 when there is any; otherwise prints how many functions were
checked and exits 0. --list prints every function's length, longest first.
Python 3.11 standard library only.
"""

import re
import sys
from pathlib import Path

MAX_LINES = 60

# "file name:function" -> why it may be longer. Only a function that
# contains a switch statement is let off (see allowed()).
DISPATCH_SWITCHES = {}

IDENT_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
SWITCH = re.compile(r"\bswitch\s*\(")
KEYWORDS = {"if", "while", "for", "switch", "return", "sizeof",
            "__attribute__", "defined"}


def _signature(lines, brace):
    """(name, index of its first line) of the function whose opening brace
    is lines[brace], or (None, None) when the text before it is no function
    signature."""
    sig = []
    i = brace - 1
    while i >= 0:
        line = lines[i]
        stripped = line.strip()
        if (stripped == "" or stripped.endswith(";") or stripped.endswith("}")
                or stripped.endswith("*/") or stripped.startswith("#")):
            break
        sig.insert(0, line)
        i -= 1
    text = " ".join(sig)
    for m in IDENT_CALL.finditer(text):
        if m.group(1) not in KEYWORDS:
            return m.group(1), i + 1
    return None, None


def functions(path):
    """[(name, line number of its signature, length in lines, body text)]
    of the functions in the C file at `path`."""
    lines = Path(path).read_text(errors="replace").splitlines()
    out = []
    i = 0
    while i < len(lines):
        if lines[i].rstrip() == "{":
            name, first = _signature(lines, i)
            j = i + 1
            while j < len(lines) and not lines[j].startswith("}"):
                j += 1
            if name is not None and j < len(lines):
                body = "\n".join(lines[i:j + 1])
                out.append((name, first + 1, j - i + 1, body))
            i = j + 1
        else:
            i += 1
    return out


def c_files(paths):
    files = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(p.glob("*.c")))
        else:
            files.append(p)
    return files


def allowed(path, name, body, switches=None):
    """Whether `name` in `path` is a listed dispatch switch."""
    switches = DISPATCH_SWITCHES if switches is None else switches
    return f"{Path(path).name}:{name}" in switches and SWITCH.search(body) is not None


def too_long(paths, limit=MAX_LINES, switches=None):
    """[(path, line, name, length)] of the functions over `limit` lines
    that are not allowed dispatch switches, and the number checked."""
    found = []
    checked = 0
    for f in c_files(paths):
        for name, line, length, body in functions(f):
            checked += 1
            if length > limit and not allowed(f, name, body, switches):
                found.append((str(f), line, name, length))
    return found, checked


def main(argv):
    limit = MAX_LINES
    listing = False
    paths = []
    it = iter(argv)
    for a in it:
        if a == "--max":
            limit = int(next(it))
        elif a == "--list":
            listing = True
        else:
            paths.append(a)
    if not paths:
        print(__doc__.strip().split("\n\n")[3])
        return 2
    if listing:
        rows = [(length, f"{f}:{line}", name)
                for f in c_files(paths) for name, line, length, _ in functions(f)]
        for length, where, name in sorted(rows, reverse=True):
            print(f"{length:4d}  {name}  ({where})")
        return 0
    found, checked = too_long(paths, limit)
    for f, line, name, length in found:
        print(f"{f}:{line}: {name} is {length} lines (at most {limit})")
    if found:
        return 1
    print(f"no function longer than {limit} lines ({checked} functions)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
