#!/usr/bin/env python3
"""test_i18n.py: the checks behind the translated lessons, tested.

  1. tools/checks/i18n.py on a small docs tree made here: a translation that matches
     passes; an English page that changes, a heading without its anchor, a
     changed code block, a link to a missing anchor, a page in one language
     only each fail, with a message that names the page and what to do;
     `stamp` records the English text again.
  2. tools/checks/i18n.py on the real docs: every translation is up to date
     (pages not translated yet are allowed here, and listed).
  3. the built site (mkdocs --strict, both languages): every Korean page has
     every heading id of its English page, the language menu of every page
     leads to the same page in the other language, and <html lang> is right.
  4. the verdict points at docs/ko/... when the locale is Korean, at
     docs/en/... otherwise.

  test_i18n.py [--site DIR]   (DIR: an already built site, to skip the build)

Ends with "N passed, M failed"; exits non-zero on a failure.
"""

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import redirect_stdout
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
I18N = ROOT / "tools" / "checks" / "i18n.py"
sys.path[:0] = [str(Path(__file__).resolve().parents[3] / "tools" / d) for d in ("course", "checks")]

passed = failed = 0


def check(ok, label, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"  ✓ {label}")
    else:
        failed += 1
        print(f"  ✗ {label}")
        for ln in str(detail).strip().splitlines()[:30]:
            print(f"      {ln}")
    return ok


def i18n(docs, *args):
    p = subprocess.run([sys.executable, str(I18N), "--docs", str(docs), *args],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


# --------------------------------------------------------------------------
# 1. The check on a tree of its own

EN_PAGE = """# A page

Some text, [a link](other.md#second-part).

## First part

```c
int x = 1;
```

```text
a diagram
```

### `cg_thing`

<!-- include: lib/include/cgrpc.h -->
"""

KO_PAGE = """# 한 페이지 {#a-page}

본문, [링크](other.md#second-part).

## 첫 부분 {#first-part}

```c
int x = 1;
```

```text
그림
```

### `cg_thing`

<!-- include: lib/include/cgrpc.h -->
"""

EN_OTHER = "# Other\n\n## Second part\n\ntext\n"
KO_OTHER = "# 다른 페이지 {#other}\n\n## 둘째 부분 {#second-part}\n\n본문\n"


def make_tree(base):
    docs = base / "docs"
    for lang, page, other in (("en", EN_PAGE, EN_OTHER), ("ko", KO_PAGE, KO_OTHER)):
        (docs / lang / "steps").mkdir(parents=True)
        (docs / lang / "steps" / "a.md").write_text(page, encoding="utf-8")
        (docs / lang / "steps" / "other.md").write_text(other, encoding="utf-8")
    return docs


def test_check_tool():
    print("tools/checks/i18n.py on a small tree")
    with tempfile.TemporaryDirectory() as tmp:
        docs = make_tree(Path(tmp))
        ko = docs / "ko" / "steps" / "a.md"
        en = docs / "en" / "steps" / "a.md"

        rc, out = i18n(docs, "check")
        check(rc == 1 and "translation without a source_hash (2)" in out,
              "a translation without source_hash fails the check", out)

        rc, out = i18n(docs, "stamp", "steps/a.md", "steps/other.md")
        text = ko.read_text(encoding="utf-8")
        check(rc == 0 and re.match(r"---\nsource_hash: [0-9a-f]{64}\n---\n# 한 페이지", text),
              "stamp records the English page's sha256 in front matter", out + text[:200])

        rc, out = i18n(docs, "check")
        check(rc == 0 and "2 of 2 pages up to date" in out, "a matching translation passes", out)

        en.write_text(EN_PAGE.replace("Some text", "Some new text"), encoding="utf-8")
        rc, out = i18n(docs, "check")
        check(rc == 1 and "English changed since translation (1)" in out
              and "steps/a.md" in out and "i18n.py diff PAGE" in out,
              "an English page edited after translation fails, naming the page and `diff`", out)
        rc, out = i18n(docs, "stamp", "steps/a.md")
        rc2, out2 = i18n(docs, "check")
        check(rc == 0 and rc2 == 0, "stamp after updating the translation makes it pass again", out + out2)

        ko.write_text(ko.read_text(encoding="utf-8").replace("## 첫 부분 {#first-part}", "## 첫 부분"),
                      encoding="utf-8")
        rc, out = i18n(docs, "check")
        check(rc == 1 and "has no anchor" in out and "#first-part" in out,
              "a Korean heading without the English anchor fails", out)
        rc, out = i18n(docs, "stamp", "steps/a.md")
        check(rc == 1 and "not stamped" in out, "stamp refuses a page whose anchors differ", out)
        ko.write_text(ko.read_text(encoding="utf-8").replace("## 첫 부분\n", "## 첫 부분 {#first-part}\n"),
                      encoding="utf-8")

        ko.write_text(ko.read_text(encoding="utf-8").replace("int x = 1;", "int x = 2;"), encoding="utf-8")
        rc, out = i18n(docs, "check")
        check(rc == 1 and "block differs" in out, "a changed C block fails (code is not translated)", out)
        ko.write_text(ko.read_text(encoding="utf-8").replace("int x = 2;", "int x = 1;"), encoding="utf-8")

        ko.write_text(ko.read_text(encoding="utf-8").replace("other.md#second-part", "other.md#secnd-part"),
                      encoding="utf-8")
        rc, out = i18n(docs, "check")
        check(rc == 1 and "#secnd-part" in out and "no such anchor" in out,
              "a link to an anchor the page does not have fails", out)
        ko.write_text(ko.read_text(encoding="utf-8").replace("#secnd-part", "#second-part"), encoding="utf-8")

        (docs / "en" / "steps" / "new.md").write_text("# New\n", encoding="utf-8")
        rc, out = i18n(docs, "check")
        check(rc == 1 and "not translated yet (1)" in out and "steps/new.md" in out,
              "an English page with no Korean page fails `check`, and is listed", out)
        rc, out = i18n(docs, "check", "--allow-missing")
        check(rc == 0 and "steps/new.md" in out and "allowed" in out,
              "`check --allow-missing` passes but still lists it", out)
        rc, out = i18n(docs, "status")
        check(rc == 0 and re.search(r"steps/new\.md\s+not translated yet", out)
              and re.search(r"steps/a\.md\s+up to date", out), "`status` shows each page's state", out)
        (docs / "en" / "steps" / "new.md").unlink()

        (docs / "ko" / "steps" / "gone.md").write_text("# 사라진\n", encoding="utf-8")
        rc, out = i18n(docs, "check", "--allow-missing")
        check(rc == 1 and "translation without an English page (1)" in out and "steps/gone.md" in out,
              "a Korean page without an English page fails", out)


def test_mermaid_rule():
    print("tools/checks/i18n.py and Mermaid diagrams")
    with tempfile.TemporaryDirectory() as tmp:
        docs = make_tree(Path(tmp))
        diagram = "```mermaid\nsequenceDiagram\n    accTitle: {}\n    C->>S: {}\n```\n"
        en, ko = docs / "en" / "steps" / "a.md", docs / "ko" / "steps" / "a.md"
        en.write_text(EN_PAGE + "\n" + diagram.format("One call", "request"), encoding="utf-8")
        ko.write_text(KO_PAGE + "\n" + diagram.format("호출 하나", "요청"), encoding="utf-8")
        rc, out = i18n(docs, "stamp", "steps/a.md", "steps/other.md")
        rc2, out2 = i18n(docs, "check")
        check(rc == 0 and rc2 == 0, "a translated ```mermaid diagram passes (its labels are prose)", out + out2)
        ko.write_text(KO_PAGE, encoding="utf-8")
        rc, out = i18n(docs, "check")
        check(rc == 1 and "0 ```mermaid diagrams where English has 1" in out,
              "a translation missing a diagram of its English page fails", out)


# --------------------------------------------------------------------------
# 2. The real translations


def test_real_docs():
    print("tools/checks/i18n.py on docs/")
    rc, out = i18n(ROOT / "docs", "check", "--allow-missing")
    check(rc == 0, "every Korean page is up to date with its English page", out)
    rc, out = i18n(ROOT / "docs", "check")
    missing = re.findall(r"^    (\S+\.md)$", out.split("not translated yet", 1)[-1], re.M) \
        if "not translated yet" in out else []
    print(f"    (not translated yet: {', '.join(missing) if missing else 'none'})")


# --------------------------------------------------------------------------
# 3. The built site


class Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings, self.alternates, self.lang = [], {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if re.match(r"h[1-6]$", tag) and a.get("id"):
            self.headings.append(a["id"])
        if tag == "a" and a.get("hreflang") and "md-select__link" in (a.get("class") or ""):
            self.alternates[a["hreflang"]] = a.get("href")


def parse(path):
    p = Ids()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def html_of(site, page):
    rel = page[:-3]
    rel = rel[:-5] if rel.endswith("index") else rel + "/"
    return site / rel / "index.html"


def test_site(site):
    print(f"the built site ({site})")
    en_pages = sorted(p.relative_to(ROOT / "docs" / "en").as_posix()
                      for p in (ROOT / "docs" / "en").rglob("*.md"))
    problems = {"ids": [], "switch": [], "lang": []}
    for page in en_pages:
        en_html, ko_html = html_of(site, page), html_of(site / "ko", page)
        if not en_html.is_file() or not ko_html.is_file():
            problems["switch"].append(f"{page}: {en_html if not en_html.is_file() else ko_html} missing")
            continue
        en, ko = parse(en_html), parse(ko_html)
        translated = (ROOT / "docs" / "ko" / page).is_file()
        lost = [i for i in en.headings if i not in ko.headings]
        if lost:
            problems["ids"].append(f"{page}: Korean page lacks #{', #'.join(lost)}")
        if translated and ko.headings != en.headings:
            problems["ids"].append(f"{page}: heading ids differ in order or number")
        if en.lang != "en" or ko.lang != "ko":
            problems["lang"].append(f"{page}: <html lang> is {en.lang!r} / {ko.lang!r}")
        for which, parsed, html in (("en", en, en_html), ("ko", ko, ko_html)):
            for lang in ("en", "ko"):
                href = parsed.alternates.get(lang)
                want = en_html if lang == "en" else ko_html
                got = (html.parent / href / "index.html").resolve() if href else None
                if got != want.resolve():
                    problems["switch"].append(f"{page} ({which}): the {lang} link is {href!r}")
    check(not problems["ids"], f"every Korean page carries every heading id of its English page "
          f"({len(en_pages)} pages)", "\n".join(problems["ids"]))
    check(not problems["switch"], "the language menu of every page leads to the same page in the other "
          "language", "\n".join(problems["switch"]))
    check(not problems["lang"], "<html lang> is en for English pages and ko for Korean ones",
          "\n".join(problems["lang"]))
    fallback = [p for p in en_pages if not (ROOT / "docs" / "ko" / p).is_file()]
    if fallback:
        text = html_of(site / "ko", fallback[0]).read_text(encoding="utf-8")
        check("아직 번역되지 않은 페이지" in text,
              f"an untranslated page ({fallback[0]}) is shown in English under a notice")


# --------------------------------------------------------------------------
# 4. The verdict's lesson links


def verdict_text(env):
    from coursekit import runner, verdict  # tools/course/coursekit
    saved = {k: os.environ.get(k) for k in ("LESSON_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    try:
        for k in saved:
            os.environ.pop(k, None)
        os.environ.update(env)
        result = {"step": "01-design", "mode": "starter", "valgrind": False, "build": "ok",
                  "suites": [{"name": "choose_kind", "problem": None, "tests": [
                      {"name": "test_choose_kind_unary", "status": "fail",
                       "message": "choose_rpc_kind(...): expected UNARY, got UNSPECIFIED",
                       "see": "docs/en/steps/01-design.md#choosing-the-rpc-kind"}]}]}
        runner.count(result)
        buf = io.StringIO()
        with redirect_stdout(buf):
            verdict.print_verdict(result)
        return buf.getvalue()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_verdict():
    print("the verdict's lesson links")
    ko_link = "read: docs/ko/steps/01-design.md#choosing-the-rpc-kind"
    en_link = "read: docs/en/steps/01-design.md#choosing-the-rpc-kind"
    for env, want, label in (
            ({"LANG": "ko_KR.UTF-8"}, ko_link, "LANG=ko_KR.UTF-8 points at docs/ko/"),
            ({"LANG": "C"}, en_link, "LANG=C points at docs/en/"),
            ({}, en_link, "no locale at all points at docs/en/"),
            ({"LANG": "ko_KR.UTF-8", "LC_ALL": "C"}, en_link, "LC_ALL=C wins over LANG=ko"),
            ({"LANG": "C", "LC_MESSAGES": "ko_KR.UTF-8"}, ko_link, "LC_MESSAGES=ko_KR wins over LANG=C"),
            ({"LANG": "C", "LESSON_LANG": "ko"}, ko_link, "LESSON_LANG=ko wins over the locale"),
            ({"LANG": "fr_FR.UTF-8"}, en_link, "a language with no lessons falls back to docs/en/")):
        out = verdict_text(env)
        check(want in out and ("the lesson is docs/ko/" in out) == (want == ko_link), label, out)
    from coursekit import lessons  # tools/course/coursekit
    os.environ["LESSON_LANG"] = "ko"
    try:
        kept = lessons.localize("see docs/en/steps/99-none.md#x and docs/en/steps/01-design.md")
    finally:
        os.environ.pop("LESSON_LANG")
    check(kept == "see docs/en/steps/99-none.md#x and docs/ko/steps/01-design.md",
          "a page with no Korean version keeps its English link", kept)


def main(argv):
    site = None
    if "--site" in argv:
        site = Path(argv[argv.index("--site") + 1]).resolve()
    test_check_tool()
    test_mermaid_rule()
    test_real_docs()
    tmp = None
    if site is None:
        if shutil.which("mkdocs") is None:
            check(True, "the built site: skipped (mkdocs is not installed: make setup)")
        else:
            tmp = tempfile.mkdtemp(prefix="i18n-site-")
            p = subprocess.run(["mkdocs", "build", "--strict", "--quiet", "-f", str(ROOT / "docs" / "mkdocs.yml"),
                                "-d", tmp], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if check(p.returncode == 0, "mkdocs builds both languages strictly", p.stdout[-3000:]):
                site = Path(tmp)
    if site is not None:
        test_site(site)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    test_verdict()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
