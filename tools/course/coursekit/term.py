"""coursekit.term: the terminal, and nothing else: colours (only on a
terminal; NO_COLOR or TERM=dumb turns them off) and progress bars.

Shared by every tool of the workspace that prints to a learner or a
maintainer: course.py, contract.py, demo.py, cluster/cluster.py and
tests/workspace/deploy/test_deploy.py.
"""

import os
import sys


def _color_on():
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


COLOR = _color_on()


def paint(text, code):
    return f"\033[{code}m{text}\033[0m" if COLOR else text


def bold(t):
    return paint(t, "1")


def green(t):
    return paint(t, "32")


def red(t):
    return paint(t, "31")


def yellow(t):
    return paint(t, "33")


def dim(t):
    return paint(t, "2")


def bar(done, total, width=12):
    if total <= 0:
        return " " * width
    full = round(width * done / total)
    return "█" * full + "░" * (width - full)
