#!/usr/bin/env python3
"""docsync.py: code shown in the lessons is written into them from the tree.

A lesson holds each piece of code it shows from the repository between two
markers that name its source, with the code itself in between, so the page
reads complete on GitHub, in an editor or in `less`:

    <!-- include: lib/src/server.c#accept-loop -->
    ```c title="lib/src/server.c (accept-loop)"
    ...the lines between [accept-loop] and [/accept-loop] in lib/src/server.c...
    ```
    <!-- /include: lib/src/server.c#accept-loop -->

What the start marker names:

  path              the whole file (path from the repository root)
  path#region       the lines between the markers [region] and [/region],
                    which sit in comments of the file (the marker lines are
                    left out, the common indentation removed)
  path@name,name    C declarations by name (a function, type or macro), each
                    with the comment above it: declarations written together
                    under one comment come together. The runtime reference
                    shows lib/include/cgrpc.h this way.

  sync [--docs DIR]    rewrite every block from its source, in every language
                       (`make docs-sync`)
  check [--docs DIR]   fail (exit 1) when a block differs from its source, a
                       marker is malformed or its source is gone, or a ```c
                       block outside the markers declares a cg_ function or
                       type (the runtime's declarations come from cgrpc.h);
                       ends "N passed, M failed"

The MkDocs hook docs/hooks/include.py runs the same check on every page it
builds. Only the standard library is used.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A marker may be indented (inside an admonition or a list item): its block
# is then indented as much.
START = re.compile(r"^(\s*)<!--\s*include:\s*(\S+?)\s*-->\s*$")
END = re.compile(r"^(\s*)<!--\s*/include:\s*(\S+?)\s*-->\s*$")
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")
# The fence language of a source file, by name or suffix (Pygments and
# GitHub both know these).
LANG = {".c": "c", ".h": "c", ".proto": "proto", ".py": "python", ".sh": "sh",
        ".yaml": "yaml", ".yml": "yaml", ".mk": "makefile", "Makefile": "makefile",
        ".js": "javascript", ".json": "json", "Dockerfile": "dockerfile", ".sed": "sed"}
FIX = "run `make docs-sync` to write it from the tree"


class SyncError(Exception):
    """A marker that cannot be followed: its file, region or name is gone."""


# --------------------------------------------------------------------------
# What a marker names


def parse_target(target):
    """'path#region' -> (path, 'region', None); 'path@a,b' -> (path, None, [a, b])."""
    if "@" in target:
        path, names = target.split("@", 1)
        return path, None, [n for n in names.split(",") if n]
    path, _, region = target.partition("#")
    return path, region or None, None


def extract_region(text, region, where):
    lines = text.splitlines()
    start = end = None
    for i, ln in enumerate(lines):
        if start is None and re.search(r"\[" + re.escape(region) + r"\]", ln):
            start = i + 1
        elif start is not None and re.search(r"\[/" + re.escape(region) + r"\]", ln):
            end = i
            break
    if start is None or end is None:
        raise SyncError(f"no [{region}] ... [/{region}] markers in {where}")
    body = lines[start:end]
    # Drop the common indentation so a snippet from inside a function reads well.
    indent = min((len(ln) - len(ln.lstrip()) for ln in body if ln.strip()), default=0)
    return [ln[indent:] for ln in body]


def strip_c(text):
    """Code without comments and string or character literals (same length per line)."""
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                  lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def decl_name(code):
    """The name a top-level C declaration declares (comments already stripped)."""
    code = " ".join(code.split())
    while re.search(r"\{[^{}]*\}", code):                  # struct and enum bodies
        code = re.sub(r"\{[^{}]*\}", " ", code)
    m = re.match(r"#\s*define\s+(\w+)", code)
    if m:
        return m.group(1)
    m = re.search(r"\(\s*\*\s*(\w+)\s*\)\s*\(", code)       # function pointer typedef
    if code.startswith("typedef") and m:
        return m.group(1)
    if code.startswith("typedef") or re.match(r"(struct|enum|union)\b", code):
        m = re.search(r"(\w+)\s*;\s*$", code)
        return m.group(1) if m else None
    m = re.search(r"(\w+)\s*\(", code)                     # a function
    return m.group(1) if m else None


def c_groups(text):
    """The declarations of a C header in groups: [(names, lines)]. A group is
    a comment and the declarations right under it that have none of their
    own (cg_alloc, cg_strdup and cg_printf share one comment)."""
    groups = []
    lines = text.splitlines()
    code = strip_c(text).splitlines()
    comment = []          # comment lines waiting for their declaration
    group = None          # (names, lines) being filled
    i = 0
    while i < len(lines):
        ln, cd = lines[i], code[i]
        if not ln.strip():
            comment, group = [], None
            i += 1
            continue
        if not cd.strip():                      # a comment (possibly several lines)
            if group is not None and comment == []:
                group = None
            comment.append(ln)
            i += 1
            continue
        if cd.lstrip().startswith("#") and not re.match(r"\s*#\s*define\b", cd) \
                or ln.strip() in ('extern "C" {', "}"):
            comment, group = [], None
            i += 1
            continue
        # A declaration: up to the `;` (or a preprocessor line's end) at depth 0.
        first, depth = i, 0
        while i < len(lines):
            c = code[i]
            depth += c.count("{") + c.count("(") - c.count("}") - c.count(")")
            i += 1
            if c.lstrip().startswith("#"):
                if not c.rstrip().endswith("\\"):
                    break
            elif depth <= 0 and c.rstrip().endswith(";"):
                break
        name = decl_name("\n".join(code[first:i]))
        if group is None or comment:
            group = ([], list(comment))
            groups.append(group)
            comment = []
        if name:
            group[0].append(name)
        group[1].extend(lines[first:i])
    return groups


def extract_decls(text, names, where):
    groups = c_groups(text)
    out, seen = [], []
    for name in names:
        found = [g for g in groups if name in g[0]]
        if not found:
            raise SyncError(f"no declaration of {name} in {where}")
        if found[0] in seen:
            continue
        seen.append(found[0])
        if out:
            out.append("")
        out.extend(found[0][1])
    return out


def render(target, root=ROOT, indent=""):
    """The fenced block a marker stands for: a list of lines, each but the
    empty ones indented by `indent`."""
    rel, region, names = parse_target(target)
    path = root / rel
    if not path.is_file():
        raise SyncError(f"{rel} does not exist")
    text = path.read_text(encoding="utf-8")
    if names:
        body, title = extract_decls(text, names, rel), rel
    elif region:
        body, title = extract_region(text, region, rel), f"{rel} ({region})"
    else:
        body, title = text.splitlines(), rel
    lang = LANG.get(path.name, LANG.get(path.suffix, "text"))
    fence = "```"
    while any(ln.lstrip().startswith(fence) for ln in body):
        fence += "`"
    lines = [f'{fence}{lang} title="{title}"', *body, fence]
    return [indent + ln if ln.strip() else "" for ln in lines]


def indent_of(line):
    return line[:len(line) - len(line.lstrip())]


# --------------------------------------------------------------------------
# Blocks in a page


def blocks(lines):
    """[(start, end, target)]: the line numbers (0-based) of each start marker
    and its end marker. Raises SyncError for a marker without its partner."""
    out, fence, open_at = [], None, None
    for i, ln in enumerate(lines):
        m = FENCE.match(ln.strip())
        if fence is None and m:
            fence = m.group(1)
            continue
        if fence:
            if m and m.group(1).startswith(fence) and not ln.strip().strip(fence[0]):
                fence = None
            continue
        s, e = START.match(ln), END.match(ln)
        if s:
            if open_at is not None:
                raise SyncError(f"line {open_at[0] + 1}: <!-- include: {open_at[1]} --> has no end "
                                f"marker before the next one (line {i + 1})")
            open_at = (i, s.group(2))
        elif e:
            if open_at is None or open_at[1] != e.group(2):
                raise SyncError(f"line {i + 1}: end marker for {e.group(2)} without its start marker")
            out.append((open_at[0], i, open_at[1]))
            open_at = None
    if open_at is not None:
        raise SyncError(f"line {open_at[0] + 1}: <!-- include: {open_at[1]} --> has no end marker "
                        f"(<!-- /include: {open_at[1]} -->)")
    return out


def synced(text, root=ROOT):
    """The page with every block written from its source."""
    lines = text.splitlines()
    out, last = [], 0
    for start, end, target in blocks(lines):
        try:
            body = render(target, root, indent_of(lines[start]))
        except SyncError as e:
            raise SyncError(f"line {start + 1}: {e}") from None
        out.extend(lines[last:start + 1])
        out.extend(body)
        last = end
    out.extend(lines[last:])
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


DECL_KEYWORDS = {"return", "else", "case", "goto", "sizeof", "do"}
PROTOTYPE = re.compile(r"^(?:(?:const|static|extern|inline|struct|enum|union|unsigned|signed)\s+)*"
                       r"([A-Za-z_]\w*)[\s*]+(?:const\s+)?\**\s*((?:cg|CG)_\w+)\s*\($")


def pasted_declarations(lines):
    """[(line, name)]: cg_ functions, types and macros declared in ```c blocks
    outside the include markers (what only cgrpc.h may declare)."""
    inside = set()
    for start, end, _ in blocks(lines):
        inside.update(range(start, end + 1))
    found, fence, body = [], None, []
    for i, ln in enumerate(lines):
        m = FENCE.match(ln.strip())
        if fence is None:
            if m and i not in inside:
                fence, body = (m.group(1), m.group(2).lower(), i), []
            continue
        if m and m.group(1).startswith(fence[0]) and not ln.strip().strip(fence[0][0]):
            if fence[1] in ("c", "h"):
                found.extend(_declarations(body, fence[2] + 2))
            fence = None
        else:
            body.append(ln)
    return found


def _declarations(body, first_line):
    # A preprocessor line is a statement of its own.
    code = "\n".join(ln + ";" if ln.lstrip().startswith("#") else ln
                     for ln in strip_c("\n".join(body)).splitlines())
    out = []
    for m in re.finditer(r"[^;{}]+[;{}]?", code):
        stmt = m.group(0)
        line = first_line + code.count("\n", 0, m.start() + len(stmt) - len(stmt.lstrip()))
        flat = " ".join(stmt.split())
        d = re.match(r"#\s*define\s+((?:cg|CG)_\w+)", flat)
        t = re.match(r"typedef\b.*\b((?:cg|CG)_\w+)\s*;$", flat) or \
            re.match(r"typedef\b.*\(\s*\*\s*((?:cg|CG)_\w+)\s*\)", flat)
        s = re.match(r"(?:typedef\s+)?(?:struct|enum|union)\s+((?:cg|CG)_\w+)\s*\{$", flat)
        head = flat.split("(", 1)[0] + "(" if "(" in flat else ""
        p = PROTOTYPE.match(head)
        if d or t or s:
            out.append((line, (d or t or s).group(1)))
        elif p and p.group(1) not in DECL_KEYWORDS and "=" not in head:
            out.append((line, p.group(2)))
    return out


def page_problems(path, root=ROOT):
    """Problems of one page: stale or broken blocks, pasted cg_ declarations."""
    text = path.read_text(encoding="utf-8")
    try:
        want = synced(text, root)
    except SyncError as e:
        return [str(e)]
    out = []
    if want != text:
        have = text.splitlines()
        for start, end, target in blocks(have):
            shown = have[start + 1:end]
            if shown != render(target, root, indent_of(have[start])):
                out.append(f"line {start + 1}: the code after <!-- include: {target} --> differs "
                           f"from its source: {FIX}")
    for line, name in pasted_declarations(text.splitlines()):
        out.append(f"line {line}: {name} is declared here by hand; show the declaration from the "
                   f"header instead, between <!-- include: lib/include/cgrpc.h@{name} --> and "
                   f"<!-- /include: lib/include/cgrpc.h@{name} -->, then {FIX}")
    return out


# --------------------------------------------------------------------------
# Commands


def lesson_pages(docs):
    """Every page that may hold blocks: docs/*/**.md."""
    return sorted(p for p in docs.glob("*/**/*.md") if p.is_file())


def cmd_sync(docs, root):
    changed = errors = 0
    for page in lesson_pages(docs):
        text = page.read_text(encoding="utf-8")
        try:
            new = synced(text, root)
        except SyncError as e:
            print(f"{page.relative_to(docs.parent)}: {e}")
            errors += 1
            continue
        if new != text:
            page.write_text(new, encoding="utf-8")
            print(f"{page.relative_to(docs.parent)}: code blocks written from the tree")
            changed += 1
    n = sum(len(blocks(p.read_text(encoding="utf-8").splitlines()))
            for p in lesson_pages(docs) if not errors)
    print(f"docs-sync: {changed} page(s) updated" + (f", {n} blocks in all" if not errors else "")
          + (f"; {errors} page(s) with a broken marker (above)" if errors else ""))
    return 1 if errors else 0


def cmd_check(docs, root):
    passed = failed = 0
    for page in lesson_pages(docs):
        problems = page_problems(page, root)
        if problems:
            failed += 1
            print(f"  ✗ {page.relative_to(docs.parent)}")
            for pr in problems:
                print(f"      {pr}")
        else:
            passed += 1
    if failed:
        print("Lesson code differs from the tree: `make docs-sync` rewrites every block from its "
              "source (then look at the diff and commit it); code pasted by hand needs its markers "
              "first (above).")
    else:
        print(f"every code block of {passed} pages equals its source")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv):
    docs, root, rest = ROOT / "docs", ROOT, []
    it = iter(argv)
    for a in it:
        if a == "--docs":
            docs = Path(next(it, "")).resolve()
        elif a == "--root":
            root = Path(next(it, "")).resolve()
        else:
            rest.append(a)
    if rest == ["sync"]:
        return cmd_sync(docs, root)
    if rest == ["check"]:
        return cmd_check(docs, root)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
