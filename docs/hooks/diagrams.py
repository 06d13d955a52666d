"""diagrams.py: a MkDocs hook that serves Mermaid from the site itself.

A lesson draws a picture as a fenced block of Mermaid text:

    ```mermaid
    sequenceDiagram
        accTitle: ...
        accDescr: ...
        client->>server: Request
    ```

GitHub and most editors draw it (or show its text, which reads as a list of
steps); on the site pymdownx.superfences turns it into
<div class="cg-diagram"> (mkdocs.yml, custom_fences) and
overrides/assets/javascripts/site.js draws it as SVG in the browser with
mermaid.min.js. That file comes from the npm package pinned in
tools/browser/package-lock.json (`make browser-deps`, run by `make setup`)
and is copied into the built site here, so a page never fetches anything
from the network to draw its pictures. Both languages' builds run this hook.
"""

import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parents[2]
MERMAID = ROOT / "tools" / "browser" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
TARGET = Path("assets") / "javascripts" / "mermaid.min.js"


def on_pre_build(config):
    if not MERMAID.is_file():
        raise PluginError(
            f"the lessons' diagrams need Mermaid ({MERMAID.relative_to(ROOT)}), which is not "
            "installed. Run: make browser-deps   (npm ci in tools/browser; make setup does it once)")


def on_post_build(config):
    dest = Path(config["site_dir"]) / TARGET
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = MERMAID.stat()
    if dest.is_file() and dest.stat().st_size == src.st_size and dest.stat().st_mtime >= src.st_mtime:
        return
    shutil.copy2(MERMAID, dest)
