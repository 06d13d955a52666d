"""coursekit.workspace: where things are in the workspace: its root, the
build folder, the step results and the learner's own state, and how a path
is shown to the learner."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BUILD = ROOT / "build"
RESULTS = BUILD / "results"
STATE = ROOT / ".progress"          # per-learner state (hints seen); not in git
BACKUPS = STATE / "backup"          # make reset's copies of the learner's files; make clean keeps them


def shown_path(path):
    """A path as the learner types it: relative to the workspace when inside it."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
