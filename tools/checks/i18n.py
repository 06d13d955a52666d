#!/usr/bin/env python3
"""i18n.py: keeps the translated lessons in step with the English ones.

English is the source: docs/en/PAGE. A translation lives at docs/LANG/PAGE
(today LANG is ko) and starts with front matter recording which English text
it was translated from:

    ---
    source_hash: <sha256 of docs/en/PAGE when the translation was made>
    ---

The code between include markers (written from the tree by `make docs-sync`,
the same in every language) is left out of that hash.

Every heading of a translation carries the anchor of its English heading
(`## 한국어 제목 {#english-anchor}`), so a link to docs/en/PAGE#anchor works in
every language.

  status                  every page and its state in each language (exit 0)
  check [--allow-missing] fail (exit 1) when a page exists in one language only,
                          the English page changed since it was translated,
                          anchors or included code differ, or a link names an
                          anchor that does not exist; --allow-missing lets
                          pages that are not translated yet pass (still listed)
  stamp PAGE...           record the current English text as the source of
                          docs/LANG/PAGE (after bringing the translation up to date)
  diff PAGE               what changed in docs/en/PAGE since its translation (git)

  --docs DIR   the docs folder (default: docs/ next to tools/)
  --lang LANG  only this language (default: every docs/xx/ folder besides en)

PAGE is a path under docs/en/, e.g. steps/01-design.md. Only the standard
library is used.
"""

import hashlib
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "en"
LANG_DIR = re.compile(r"^[a-z]{2}(-[A-Za-z]{2,4})?$")
HASH_KEY = "source_hash"
# Fenced blocks in these languages (or none) may be translated: diagrams
# (ASCII or Mermaid), terminal transcripts. Every other block (C, proto,
# shell...) must stay byte for byte the English one. A translation has as many
# Mermaid diagrams as its English page.
FREE_FENCES = {"", "text", "mermaid"}


# --------------------------------------------------------------------------
# Reading a page


BLOCK_START = re.compile(r"^\s*<!--\s*include:\s*\S+?\s*-->\s*$")
BLOCK_END = re.compile(r"^\s*<!--\s*/include:\s*\S+?\s*-->\s*$")


def source_digest(data):
    """sha256 of an English page, leaving out the code between include markers:
    that code is written from the tree by `make docs-sync` (tools/checks/docsync.py)
    into both languages at once, so refreshing it leaves translations current."""
    kept, inside, left_out = [], False, False
    for ln in data.decode("utf-8", "replace").splitlines(keepends=True):
        if BLOCK_END.match(ln):
            inside = False
        if inside:
            left_out = True
        else:
            kept.append(ln)
        if BLOCK_START.match(ln):
            inside = True
    return hashlib.sha256("".join(kept).encode("utf-8") if left_out else data).hexdigest()


def sha256(path):
    return source_digest(path.read_bytes())


def split_front_matter(text):
    """(dict of simple `key: value` lines, body, number of front-matter lines)."""
    if not text.startswith("---\n"):
        return {}, text, 0
    end = text.find("\n---\n", 4)
    if end < 0:
        return {}, text, 0
    meta = {}
    for ln in text[4:end].splitlines():
        k, sep, v = ln.partition(":")
        if sep:
            meta[k.strip()] = v.strip().strip("'\"")
    head = text[:end + 5]
    return meta, text[end + 5:], head.count("\n")


FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)(.*)$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
EXPLICIT_ID = re.compile(r"\s*\{[^}]*#([\w.:-]+)[^}]*\}\s*$")
INCLUDE = re.compile(r"^\s*<!--\s*include:\s*(\S+?)\s*-->\s*$")
LINK = re.compile(r"\]\(([^)\s]+?\.md)#([\w.:-]+)\)")


def slugify(text):
    """The id Python-Markdown's toc gives a heading without {#id} (the text as
    rendered: code spans and emphasis lose their marks, links keep their text)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = text.replace("`", "")
    text = re.sub(r"(\*\*|__|\*|(?<!\w)_|_(?!\w))", "", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


class Page:
    """What the checks compare: headings with their anchors, code, includes."""

    def __init__(self, path):
        self.path = path
        text = path.read_text(encoding="utf-8")
        self.meta, body, offset = split_front_matter(text)
        self.headings = []      # (line, level, text, anchor, explicit)
        self.code = []          # (line, lang, text) of fenced blocks
        self.includes = []      # (line, target)
        self.links = []         # (line, page, anchor)
        used = {}
        fence = None
        block = []
        for i, ln in enumerate(body.splitlines(), start=offset + 1):
            if fence:
                m = FENCE.match(ln)
                if m and m.group(2)[0] == fence[1][0] and len(m.group(2)) >= len(fence[1]) \
                        and not m.group(3) and not m.group(4).strip():
                    self.code.append((fence[0], fence[2], "\n".join(block)))
                    fence, block = None, []
                else:
                    block.append(ln)
                continue
            m = FENCE.match(ln)
            if m:
                fence = (i, m.group(2), m.group(3).lower())
                continue
            m = INCLUDE.match(ln)
            if m:
                self.includes.append((i, m.group(1)))
                continue
            for lm in LINK.finditer(ln):
                self.links.append((i, lm.group(1), lm.group(2)))
            m = HEADING.match(ln)
            if m:
                title = m.group(2)
                em = EXPLICIT_ID.search(title)
                if em:
                    anchor, explicit = em.group(1), True
                    title = title[:em.start()]
                else:
                    explicit = False
                    base = slugify(title)
                    anchor, n = base, 0
                    while anchor in used:       # toc's rule for repeated headings
                        n += 1
                        anchor = f"{base}_{n}"
                self.headings.append((i, len(m.group(1)), title, anchor, explicit))
                used[anchor] = True

    def anchors(self):
        return [h[3] for h in self.headings]


# --------------------------------------------------------------------------
# Comparing a translation with its English page


def languages(docs):
    return sorted(p.name for p in docs.iterdir()
                  if p.is_dir() and p.name != SOURCE and LANG_DIR.match(p.name))


def pages(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.md")) if folder.is_dir() else []


def structure_problems(en, tr, lang, docs):
    """Problems that make a translation wrong whatever the hash says."""
    out = []
    ea, ta = en.anchors(), tr.anchors()
    missing = [a for a in ea if a not in ta]
    extra = [a for a in ta if a not in ea]
    for line, _, title, anchor, explicit in tr.headings:
        if not explicit and not title.isascii():
            out.append(f"line {line}: heading '{title.strip()}' has no anchor: end it with "
                       f"{{#english-anchor}} (the id of the English heading it translates)")
    if missing:
        out.append("anchors of the English page missing here: " + ", ".join("#" + a for a in missing))
    if extra:
        out.append("anchors the English page does not have: " + ", ".join("#" + a for a in extra))
    if not missing and not extra and ea != ta:
        out.append("the headings are in a different order than in English")
    ei, ti = [t for _, t in en.includes], [t for _, t in tr.includes]
    if ei != ti:
        out.append(f"included code differs: English has {ei}, this page has {ti}")
    ed = sum(1 for _, lg, _ in en.code if lg == "mermaid")
    td = sum(1 for _, lg, _ in tr.code if lg == "mermaid")
    if ed != td:
        out.append(f"{td} ```mermaid diagrams where English has {ed}: translate each one")
    ec = [(lg, c) for _, lg, c in en.code if lg not in FREE_FENCES]
    tc = [(ln, lg, c.replace(f"docs/{lang}/", f"docs/{SOURCE}/")) for ln, lg, c in tr.code
          if lg not in FREE_FENCES]
    if len(ec) != len(tc):
        out.append(f"{len(tc)} code blocks (besides text) where English has {len(ec)}: "
                   f"code is not translated, copy it as it is")
    else:
        for (lg, c), (ln, tlg, tcode) in zip(ec, tc):
            if (lg, c) != (tlg, tcode):
                out.append(f"line {ln}: this ```{tlg} block differs from the English one: "
                           f"code is not translated, copy it as it is")
                break
    for line, target, anchor in tr.links:
        if "://" in target:
            continue
        dest = (tr.path.parent / target).resolve()
        rel = dest.relative_to((docs / lang).resolve()).as_posix() if str(dest).startswith(
            str((docs / lang).resolve())) else None
        src = docs / SOURCE / rel if rel else None
        if src is None or not src.is_file():
            continue  # a missing page is MkDocs' to report
        if anchor not in Page(src).anchors():
            out.append(f"line {line}: link to {target}#{anchor}: docs/{SOURCE}/{rel} has no such anchor")
    return out


def page_state(page, lang, docs):
    """(state, details): state is ok, missing, orphan, unstamped, changed or broken."""
    en_path, tr_path = docs / SOURCE / page, docs / lang / page
    if not tr_path.exists():
        return "missing", []
    if not en_path.exists():
        return "orphan", []
    en, tr = Page(en_path), Page(tr_path)
    problems = structure_problems(en, tr, lang, docs)
    recorded = tr.meta.get(HASH_KEY)
    if not recorded:
        return "unstamped", problems
    if recorded != sha256(en_path):
        return "changed", problems
    return ("broken" if problems else "ok"), problems


# --------------------------------------------------------------------------
# Commands

WHAT_TO_DO = {
    "missing": "not translated yet. To translate: copy docs/en/PAGE to docs/{lang}/PAGE, translate "
               "the prose (code stays as it is, every heading keeps its anchor: "
               "`## 제목 {{#english-anchor}}`), then run: python3 tools/checks/i18n.py stamp PAGE",
    "orphan": "no English page of that name (renamed or removed?): rename docs/{lang}/PAGE to "
              "match, or delete it.",
    "unstamped": "no source_hash: check the translation against docs/en/PAGE, then run: "
                 "python3 tools/checks/i18n.py stamp PAGE",
    "changed": "the English page changed since it was translated. See what changed with "
               "python3 tools/checks/i18n.py diff PAGE, update docs/{lang}/PAGE, then run: "
               "python3 tools/checks/i18n.py stamp PAGE",
    "broken": "the translation does not match the structure of the English page (below): fix "
              "docs/{lang}/PAGE.",
}
TITLES = {"missing": "not translated yet", "orphan": "translation without an English page",
          "unstamped": "translation without a source_hash", "changed": "English changed since translation",
          "broken": "translation out of shape", "ok": "up to date"}


def survey(docs, langs):
    """{lang: [(page, state, problems)]} over the union of pages."""
    en_pages = pages(docs / SOURCE)
    out = {}
    for lang in langs:
        all_pages = sorted(set(en_pages) | set(pages(docs / lang)))
        out[lang] = [(p, *page_state(p, lang, docs)) for p in all_pages]
    return out


def cmd_status(docs, langs, args):
    for lang, rows in survey(docs, langs).items():
        ok = sum(s == "ok" for _, s, _ in rows)
        print(f"docs/{lang}/: {ok} of {len(rows)} pages up to date")
        width = max((len(p) for p, _, _ in rows), default=10)
        for page, state, problems in rows:
            note = TITLES[state] + (f" ({len(problems)} problems)" if problems and state != "broken" else "")
            print(f"  {page:<{width}}  {note}")
    return 0


def cmd_check(docs, langs, args):
    allow_missing = "--allow-missing" in args
    failed = passed = 0
    for lang, rows in survey(docs, langs).items():
        bad = [(p, s, pr) for p, s, pr in rows if s != "ok"]
        ok = len(rows) - len(bad)
        passed += ok
        print(f"docs/{lang}/: {ok} of {len(rows)} pages up to date")
        for state in ("missing", "orphan", "unstamped", "changed", "broken"):
            group = [(p, pr) for p, s, pr in bad if s == state]
            if not group:
                continue
            allowed = state == "missing" and allow_missing
            mark = "  (allowed by --allow-missing)" if allowed else ""
            print(f"  {TITLES[state]} ({len(group)}){mark}:")
            for page, problems in group:
                print(f"    {page}" + (f"   (what changed: python3 tools/checks/i18n.py diff {page})"
                                       if state == "changed" else ""))
                for pr in problems:
                    print(f"        {pr}")
            print("    what to do: " + WHAT_TO_DO[state].format(lang=lang))
            if not allowed:
                failed += len(group)
    if failed:
        print(f"i18n check: {failed} page(s) need work (see above).")
    else:
        print("i18n check: every translation is up to date.")
    print(f"{passed} passed, {failed} failed")   # the summary line make test reads
    return 1 if failed else 0


def resolve_page(docs, arg):
    arg = arg.strip()
    for prefix in ("docs/", f"{SOURCE}/"):
        if arg.startswith(prefix):
            arg = arg[len(prefix):]
    m = re.match(r"^([a-z]{2}(?:-[A-Za-z]{2,4})?)/(.*)$", arg)
    if m and (docs / m.group(1)).is_dir():
        arg = m.group(2)
    if not arg.endswith(".md"):
        arg += ".md"
    if not (docs / SOURCE / arg).is_file():
        raise SystemExit(f"There is no docs/{SOURCE}/{arg}. Pages: " + ", ".join(pages(docs / SOURCE)))
    return arg


def cmd_stamp(docs, langs, args):
    force = "--force" in args
    names = [a for a in args if not a.startswith("--")]
    if not names:
        print("Which page? e.g. python3 tools/checks/i18n.py stamp steps/01-design.md")
        return 2
    rc = 0
    for name in names:
        page = resolve_page(docs, name)
        for lang in langs:
            tr_path = docs / lang / page
            if not tr_path.exists():
                print(f"docs/{lang}/{page} does not exist yet: translate it first.")
                rc = 1
                continue
            problems = structure_problems(Page(docs / SOURCE / page), Page(tr_path), lang, docs)
            if problems and not force:
                print(f"docs/{lang}/{page} does not match the English page yet; not stamped:")
                for pr in problems:
                    print(f"    {pr}")
                print("Fix these (or pass --force to record the hash anyway).")
                rc = 1
                continue
            text = tr_path.read_text(encoding="utf-8")
            meta, body, _ = split_front_matter(text)
            digest = sha256(docs / SOURCE / page)
            if text.startswith("---\n") and meta:
                head, rest = text[4:].split("\n---\n", 1)
                lines = [ln for ln in head.splitlines() if not ln.startswith(HASH_KEY + ":")]
                lines.insert(0, f"{HASH_KEY}: {digest}")
                text = "---\n" + "\n".join(lines) + "\n---\n" + rest
            else:
                text = f"---\n{HASH_KEY}: {digest}\n---\n" + text
            tr_path.write_text(text, encoding="utf-8")
            print(f"docs/{lang}/{page}: translated from docs/{SOURCE}/{page} as it is now ({digest[:12]}).")
    return rc


def git(*args):
    return subprocess.run(["git", "-C", str(ROOT), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL)


def cmd_diff(docs, langs, args):
    if not args:
        print("Which page? e.g. python3 tools/checks/i18n.py diff steps/01-design.md")
        return 2
    page = resolve_page(docs, args[0])
    try:
        en_rel = (docs / SOURCE / page).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        print(f"{docs} is not inside the repository {ROOT}: no git history to compare with.")
        return 1
    for lang in langs:
        tr_path = docs / lang / page
        recorded = Page(tr_path).meta.get(HASH_KEY) if tr_path.exists() else None
        if not recorded:
            print(f"docs/{lang}/{page}: no translation with a source_hash to compare with.")
            continue
        if recorded == sha256(docs / SOURCE / page):
            print(f"docs/{lang}/{page} is up to date with {en_rel}.")
            continue
        log = git("log", "--format=%H", "--", en_rel)
        found = None
        for commit in log.stdout.decode().split():
            blob = git("show", f"{commit}:{en_rel}")
            if blob.returncode == 0 and source_digest(blob.stdout) == recorded:
                found = commit
                break
        if not found:
            print(f"docs/{lang}/{page} was translated from a version of {en_rel} that git does not "
                  f"have (never committed). Compare the two pages by hand.")
            continue
        print(f"docs/{lang}/{page} was translated from {en_rel} as of commit {found[:10]}. "
              f"What changed since (bring these changes into the translation):\n")
        sys.stdout.flush()
        subprocess.run(["git", "-C", str(ROOT), "--no-pager", "diff", found, "--", en_rel])
    return 0


COMMANDS = {"status": cmd_status, "check": cmd_check, "stamp": cmd_stamp, "diff": cmd_diff}


def main(argv):
    docs = ROOT / "docs"
    lang = None
    rest = []
    it = iter(argv)
    for a in it:
        if a == "--docs":
            docs = Path(next(it, "")).resolve()
        elif a == "--lang":
            lang = next(it, "")
        else:
            rest.append(a)
    if not rest or rest[0] not in COMMANDS:
        print(__doc__)
        return 2
    if not (docs / SOURCE).is_dir():
        print(f"No English pages in {docs / SOURCE}.")
        return 2
    langs = languages(docs)
    if lang:
        if lang not in langs:
            print(f"There is no docs/{lang}/. Languages: {', '.join(langs) or 'none'}.")
            return 2
        langs = [lang]
    return COMMANDS[rest[0]](docs, langs, rest[1:])


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `i18n.py status | head` is fine
    sys.exit(main(sys.argv[1:]))
