#!/usr/bin/env python3
"""stale_words.py: learner-facing pages promise nothing that is not there.

A page that says a part is "being written", "TBD" or "coming soon" goes stale
the day the part lands (the home page once said steps 6 and 7 were being
written, long after they were). This check fails on such words in the pages a
learner reads: docs/*/**.md, README*.md and steps/*/README.md. Write what is
there instead, or leave the part out until it exists. It also fails when a
home page (docs/LANG/index.md) does not link every step lesson of its language.

  stale_words.py [--root DIR]    ends "N passed, M failed" (one per page, and
                                 one per home page for its step links)

Only the standard library is used.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Each phrase may break across lines (\s+), as prose does.
STALE = [
    (re.compile(r"\bbeing\s+written\b", re.I), "being written"),
    (re.compile(r"\bto\s+be\s+written\b", re.I), "to be written"),
    (re.compile(r"\bTBD\b"), "TBD"),
    (re.compile(r"\bcoming\s+soon\b", re.I), "coming soon"),
    (re.compile(r"\bunder\s+construction\b", re.I), "under construction"),
    # Korean: "작성 중입니다" (being written), "준비 중입니다" (in preparation),
    # "곧 추가/공개" (coming soon), "작성 예정" (to be written), "미정" (TBD).
    (re.compile(r"작성\s*중(?:입니다|이었습니다|이에요|인\s*(?:단계|페이지|부분))"), "작성 중"),
    (re.compile(r"준비\s*중(?:입니다|이에요)"), "준비 중"),
    (re.compile(r"곧\s*(?:추가|공개|나옵니다|나올)"), "곧 추가"),
    (re.compile(r"작성\s*예정"), "작성 예정"),
    (re.compile(r"(?<![가-힣])미정(?![가-힣])"), "미정"),
]


def learner_pages(root):
    pages = [p for p in (root / "docs").glob("*/**/*.md")]
    pages += root.glob("README*.md")
    pages += root.glob("steps/*/README.md")
    return sorted(p for p in set(pages) if p.is_file())


def findings(text):
    """[(line, phrase)] of stale words in a page's text."""
    out = []
    for rx, phrase in STALE:
        for m in rx.finditer(text):
            out.append((text.count("\n", 0, m.start()) + 1, phrase))
    return sorted(out)


def unlinked_steps(root, index):
    """The step lessons (docs/LANG/steps/*.md) that the home page does not link."""
    steps = sorted(p.name for p in (index.parent / "steps").glob("*.md"))
    text = index.read_text(encoding="utf-8")
    return [s for s in steps if not re.search(r"\]\(\.?/?steps/" + re.escape(s) + r"[)#]", text)]


def main(argv):
    root = ROOT
    if argv[:1] == ["--root"] and len(argv) > 1:
        root = Path(argv[1]).resolve()
    passed = failed = 0
    for index in sorted((root / "docs").glob("*/index.md")):
        missing = unlinked_steps(root, index)
        rel = index.relative_to(root)
        if missing:
            failed += 1
            print(f"  ✗ {rel} does not link every step: " + ", ".join(f"steps/{m}" for m in missing))
        else:
            passed += 1
    for page in learner_pages(root):
        found = findings(page.read_text(encoding="utf-8"))
        rel = page.relative_to(root)
        if found:
            failed += 1
            print(f"  ✗ {rel}")
            for line, phrase in found:
                print(f"      {rel}:{line}: \"{phrase}\": say what is there now, or leave it out")
        else:
            passed += 1
    if not failed:
        print("no learner page promises unwritten parts (being written, TBD, coming soon, ...), "
              "and every home page links every step")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
