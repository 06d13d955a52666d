"""include.py: a MkDocs hook that keeps the code in the lessons the tree's.

Code a lesson shows from the repository is written into the page itself,
between markers that name its source (tools/checks/docsync.py explains them):

    <!-- include: lib/src/server.c#accept-loop -->
    ```c title="lib/src/server.c (accept-loop)"
    ...
    ```
    <!-- /include: lib/src/server.c#accept-loop -->

so it reads complete on GitHub and in an editor too. `make docs-sync` writes
every block from the tree. This hook checks each page as it is built: a block
that differs from its source, a marker whose file or region is gone, or a
cg_ function or type declared by hand in a ```c block (only lib/include/cgrpc.h
declares them) stops the build, naming the page, the line and the fix. The
markers themselves are dropped from the HTML.
"""

import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "tools" / d) for d in ("course", "checks")]
import docsync  # noqa: E402


def _where(page):
    """The page's path from the repository root: docs/en/... or docs/ko/..."""
    try:
        return Path(page.file.abs_src_path).resolve().relative_to(ROOT)
    except ValueError:
        return Path(page.file.src_path)


def on_page_markdown(markdown, page, config, files):
    src = Path(page.file.abs_src_path)
    if src.is_file():
        problems = docsync.page_problems(src)
        if problems:
            raise PluginError(f"{_where(page)}:\n  " + "\n  ".join(problems))
    lines = markdown.splitlines()
    keep = [ln for ln in lines if not (docsync.START.match(ln) or docsync.END.match(ln))]
    return "\n".join(keep) + "\n"
