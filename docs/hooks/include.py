"""include.py: a MkDocs hook that puts real, compiled code into the lessons.

A lesson line of the form

    <!-- include: lib/src/server.c#accept-loop -->

becomes a fenced code block holding the lines of that file (path relative to
the repository root) between the markers `[accept-loop]` and
`[/accept-loop]`, which sit in comments of the source file. Without
`#name`, the whole file is included. The marker lines themselves are left
out. A missing file or marker stops the build, so a lesson can never show
code that no longer exists; the code shown is always the code CI compiles.
"""

import re
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parents[2]
DIRECTIVE = re.compile(r"^<!--\s*include:\s*(\S+?)(?:#([\w.-]+))?\s*-->\s*$", re.M)
LANG = {".c": "c", ".h": "c", ".proto": "protobuf", ".py": "python", ".sh": "bash",
        ".yaml": "yaml", ".yml": "yaml", ".mk": "makefile", "Makefile": "makefile",
        ".js": "javascript", ".json": "json", "Dockerfile": "dockerfile"}


def extract(path, marker):
    lines = path.read_text().splitlines()
    if marker is None:
        return lines
    start = end = None
    for i, ln in enumerate(lines):
        if start is None and re.search(r"\[" + re.escape(marker) + r"\]", ln):
            start = i + 1
        elif start is not None and re.search(r"\[/" + re.escape(marker) + r"\]", ln):
            end = i
            break
    if start is None or end is None:
        raise PluginError(f"include: no [{marker}] ... [/{marker}] markers in {path.relative_to(ROOT)}")
    body = lines[start:end]
    # Drop the common indentation so a snippet from inside a function reads well.
    indent = min((len(ln) - len(ln.lstrip()) for ln in body if ln.strip()), default=0)
    return [ln[indent:] for ln in body]


def _where(page):
    """The page's path from the repository root: docs/en/... or docs/ko/..."""
    try:
        return Path(page.file.abs_src_path).resolve().relative_to(ROOT)
    except ValueError:
        return page.file.src_path


def on_page_markdown(markdown, page, config, files):
    def replace(m):
        rel, marker = m.group(1), m.group(2)
        path = ROOT / rel
        if not path.is_file():
            raise PluginError(f"include: {rel} does not exist (in {_where(page)})")
        lang = LANG.get(path.name, LANG.get(path.suffix, ""))
        title = f"{rel}" + (f" ({marker})" if marker else "")
        body = "\n".join(extract(path, marker))
        return f'```{lang} title="{title}"\n{body}\n```'
    return DIRECTIVE.sub(replace, markdown)
