#!/usr/bin/env python3
"""test_docsync.py: the lessons' code blocks (tools/checks/docsync.py), the stale-word
check (tools/checks/stale_words.py) and the translation hash that ignores synced code.

Each test writes a small tree (a source file, a header, docs/en and docs/ko
pages) into a temporary folder and runs the tools on it:

  1. sync writes the code between each pair of markers: a whole file, a
     [region] (markers left out, indentation removed), C declarations by name
     with their comments (declarations under one comment come together),
     an indented marker's block indented; both languages; a second sync
     changes nothing, and check then passes;
  2. check fails on a block that differs from its source, naming the page,
     the line and `make docs-sync`; sync mends it;
  3. a start marker without its end, an end marker that names another
     source, a missing file, region or declaration: sync and check fail
     naming it, and sync writes nothing to that page;
  4. a header reformatted (declarations wrapped differently, lines moved)
     still gives each declaration by name;
  5. a ```c block outside the markers that declares a cg_ function, type or
     macro fails the check; calls, returns, assignments and the block from
     the header do not;
  6. the MkDocs hook (docs/hooks/include.py) stops the build on a stale
     block or a pasted cg_ prototype, and drops the markers from a good page;
  7. tools/checks/i18n.py's hash leaves out synced code (a translation stays
     current after docs-sync) but not prose; a page without markers
     hashes as its plain sha256;
  8. stale_words: "being written", "TBD", "coming soon" and Korean
     equivalents fail, also when broken across lines, with file:line;
     TODO and past tense prose do not; a home page missing a step fails.

  python3 tests/workspace/tools/test_docsync.py

Ends with "N passed, M failed"; exits non-zero on a failure.
"""

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tally import check, summary  # noqa: E402
sys.path[:0] = [str(Path(__file__).resolve().parents[3] / "tools" / d) for d in ("course", "checks")]

import docsync  # noqa: E402
import i18n  # noqa: E402
import stale_words  # noqa: E402

HEADER = """\
/* demo.h: a header. */
#ifndef DEMO_H
#define DEMO_H

/* The longest name kept. */
#define CG_NAME_MAX 32

/* A thing. */
typedef struct cg_thing {
    int size;  /* bytes */
} cg_thing;

/* Makes a thing of `size` bytes; NULL on failure. */
cg_thing *cg_thing_new(int size);

/* Arena memory: both from the call. */
void *cg_alloc(int n);      /* zeroed */
char *cg_strdup(const char *s);

/* Called back per thing. */
typedef int (*cg_visit_fn)(cg_thing *t, void *user);

#endif
"""

# The same declarations, wrapped and ordered differently.
HEADER_REFORMATTED = """\
#ifndef DEMO_H
#define DEMO_H

/* Called back per thing. */
typedef int (*cg_visit_fn)(cg_thing *t,
                           void *user);

/* Makes a thing of `size` bytes; NULL on failure. */
cg_thing *
cg_thing_new(int size);

#endif
"""

SOURCE = """\
int main(void)
{
    /* [body] */
    int x = 1;
        x++;
    /* [/body] */
    return 0;
}
"""

PAGE_EN = """\
# A page

The whole file:

<!-- include: src/demo.c -->
<!-- /include: src/demo.c -->

A region:

<!-- include: src/demo.c#body -->
<!-- /include: src/demo.c#body -->

Two declarations by name:

<!-- include: inc/demo.h@cg_thing_new,cg_strdup -->
<!-- /include: inc/demo.h@cg_thing_new,cg_strdup -->

!!! note
    <!-- include: src/demo.c#body -->
    <!-- /include: src/demo.c#body -->
"""

PAGE_KO = PAGE_EN.replace("# A page", "# 한 페이지 {#a-page}")


def make_tree(base):
    (base / "src").mkdir()
    (base / "inc").mkdir()
    (base / "src" / "demo.c").write_text(SOURCE)
    (base / "inc" / "demo.h").write_text(HEADER)
    for lang, page in (("en", PAGE_EN), ("ko", PAGE_KO)):
        (base / "docs" / lang).mkdir(parents=True)
        (base / "docs" / lang / "a.md").write_text(page, encoding="utf-8")
    return base / "docs"


def run(tool, *args):
    p = subprocess.run([sys.executable, str(ROOT / "tools" / "checks" / tool), *args],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def sync(base, cmd="sync"):
    return run("docsync.py", "--docs", str(base / "docs"), "--root", str(base), cmd)


def test_sync_writes_blocks():
    print("1. sync writes every block from its source")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        docs = make_tree(base)
        rc, out = sync(base)
        en = (docs / "en" / "a.md").read_text()
        ko = (docs / "ko" / "a.md").read_text()
        check(rc == 0 and "2 page(s) updated" in out, "sync updates both languages", out)
        whole = "<!-- include: src/demo.c -->\n```c title=\"src/demo.c\"\n" + SOURCE + "```\n"
        check(whole in en, "a whole file, in a ```c fence titled with its path", en)
        region = ('<!-- include: src/demo.c#body -->\n```c title="src/demo.c (body)"\n'
                  "int x = 1;\n    x++;\n```\n<!-- /include: src/demo.c#body -->")
        check(region in en, "a region: marker lines left out, common indentation removed", en)
        decls = ('```c title="inc/demo.h"\n'
                 "/* Makes a thing of `size` bytes; NULL on failure. */\n"
                 "cg_thing *cg_thing_new(int size);\n\n"
                 "/* Arena memory: both from the call. */\n"
                 "void *cg_alloc(int n);      /* zeroed */\n"
                 "char *cg_strdup(const char *s);\n```")
        check(decls in en, "declarations by name with their comments; cg_strdup brings "
              "cg_alloc, which shares its comment", en)
        check('    ```c title="src/demo.c (body)"\n    int x = 1;\n        x++;\n    ```\n' in en,
              "an indented marker's block is indented as much", en)
        check(ko.replace("# 한 페이지 {#a-page}", "# A page") == en,
              "the Korean page gets the same blocks", ko)
        rc2, out2 = sync(base)
        rc3, out3 = sync(base, "check")
        check(rc2 == 0 and "0 page(s) updated" in out2 and (docs / "en" / "a.md").read_text() == en,
              "a second sync changes nothing", out2)
        check(rc3 == 0 and out3.strip().endswith("2 passed, 0 failed"), "check passes after sync", out3)


def test_check_finds_stale_blocks():
    print("2. check fails on a block that differs from its source")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        docs = make_tree(base)
        sync(base)
        (base / "src" / "demo.c").write_text(SOURCE.replace("int x = 1;", "int x = 2;"))
        rc, out = sync(base, "check")
        check(rc == 1 and "docs/en/a.md" in out and "docs/ko/a.md" in out
              and "line 5: the code after <!-- include: src/demo.c -->" in out
              and "make docs-sync" in out and out.strip().endswith("0 passed, 2 failed"),
              "a changed source fails both pages, naming page, line and `make docs-sync`", out)
        page = docs / "en" / "a.md"
        page.write_text(page.read_text().replace("int x = 1;", "int x = 2;", 1))
        rc, out = sync(base, "check")
        check(rc == 1 and "src/demo.c#body" in out, "a block edited by hand still fails", out)
        sync(base)
        rc, out = sync(base, "check")
        check(rc == 0, "sync mends them", out)


def test_broken_markers():
    print("3. broken markers name what is wrong")
    cases = [
        ("<!-- include: src/demo.c -->\ntext\n", "line 3: <!-- include: src/demo.c --> has no end marker"),
        ("<!-- include: src/demo.c -->\n<!-- /include: src/other.c -->\n",
         "line 4: end marker for src/other.c without its start marker"),
        ("<!-- include: src/gone.c -->\n<!-- /include: src/gone.c -->\n", "line 3: src/gone.c does not exist"),
        ("<!-- include: src/demo.c#nope -->\n<!-- /include: src/demo.c#nope -->\n",
         "line 3: no [nope] ... [/nope] markers in src/demo.c"),
        ("<!-- include: inc/demo.h@cg_nope -->\n<!-- /include: inc/demo.h@cg_nope -->\n",
         "line 3: no declaration of cg_nope in inc/demo.h"),
    ]
    for page, want in cases:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            docs = make_tree(base)
            (docs / "ko" / "a.md").unlink()
            (docs / "en" / "a.md").write_text("# P\n\n" + page)
            rc, out = sync(base)
            rc2, out2 = sync(base, "check")
            same = (docs / "en" / "a.md").read_text() == "# P\n\n" + page
            check(rc == 1 and rc2 == 1 and want in out and want in out2 and same,
                  f"{want}: sync and check fail, the page is left alone", out + out2)


def test_reformatted_header():
    print("4. declarations are found by name, whatever the layout")
    groups = docsync.c_groups(HEADER_REFORMATTED)
    got = docsync.extract_decls(HEADER_REFORMATTED, ["cg_thing_new", "cg_visit_fn"], "demo.h")
    check(got == ["/* Makes a thing of `size` bytes; NULL on failure. */", "cg_thing *",
                  "cg_thing_new(int size);", "", "/* Called back per thing. */",
                  "typedef int (*cg_visit_fn)(cg_thing *t,", "                           void *user);"],
          "a return type on its own line and a wrapped typedef come whole, in the order asked", got)
    names = [n for g in docsync.c_groups(HEADER) for n in g[0]]
    check(names == ["DEMO_H", "CG_NAME_MAX", "cg_thing", "cg_thing_new", "cg_alloc", "cg_strdup",
                    "cg_visit_fn"], "macro, struct typedef, functions and a function pointer "
          "typedef are named (struct members are not)", names)
    check([g[0] for g in groups] == [["DEMO_H"], ["cg_visit_fn"], ["cg_thing_new"]],
          "the reformatted header: its macro and two declarations, in file order", groups)
    real = (ROOT / "lib" / "include" / "cgrpc.h").read_text()
    got = docsync.extract_decls(real, ["cg_ok"], "cgrpc.h")
    check(got == ["/* GRPC_STATUS_OK with an empty message. */", "cg_status cg_ok(void);"],
          "cgrpc.h: cg_ok with its comment", got)


def test_pasted_declarations():
    print("5. a cg_ declaration by hand fails; code that uses the API does not")
    pasted = ["cg_status cg_ok(void);", "const char *cg_status_name(grpc_status_code code);",
              "typedef struct cg_md {\n    const char *key;\n} cg_md;",
              "typedef cg_status (*cg_server_interceptor_fn)(cg_ctx *ctx, cg_next *next, void *user);",
              "#define CG_STATUS_MESSAGE_MAX 256",
              "bool cg_send(cg_stream *s,\n             const void *msg);"]
    for decl in pasted:
        lines = ["# P", "", "```c", *decl.splitlines(), "```"]
        found = docsync.pasted_declarations(lines)
        check(found and found[0][0] == 4, f"found, at its line: {decl.splitlines()[0]}", found)
    uses = ["cg_status st = cg_ok();", "return cg_error(ctx, GRPC_STATUS_NOT_FOUND, \"no %s\", id);",
            "if (!cg_send(out, &r))\n    return cg_error(ctx, GRPC_STATUS_CANCELLED, \"gone\");",
            "cg_server_free(srv);", "const char *t = cg_ctx_metadata(ctx, \"authorization\", NULL);",
            "static cg_status unary_call(cg_ctx *ctx, const Req *req, Resp *resp)\n{\n    return cg_ok();\n}",
            "/* cg_status cg_ok(void); in a comment */"]
    for use in uses:
        lines = ["```c", *use.splitlines(), "```"]
        found = docsync.pasted_declarations(lines)
        check(found == [], f"not a declaration: {use.splitlines()[0]}", found)
    lines = ["```sh", "cg_status cg_ok(void);", "```"]
    check(docsync.pasted_declarations(lines) == [], "only ```c blocks are looked at")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        docs = make_tree(base)
        sync(base)
        check(docsync.pasted_declarations((docs / "en" / "a.md").read_text().splitlines()) == [],
              "the blocks between markers are not counted")
        page = docs / "en" / "a.md"
        page.write_text(page.read_text() + "\n```c\ncg_thing *cg_thing_new(int size);\n```\n")
        rc, out = sync(base, "check")
        check(rc == 1 and "cg_thing_new is declared here by hand" in out
              and "<!-- include: lib/include/cgrpc.h@cg_thing_new -->" in out,
              "check fails on it and says how to show it from the header", out)


HOOK_PROBE = """
import importlib.util, sys
from types import SimpleNamespace
spec = importlib.util.spec_from_file_location("include_hook", sys.argv[1])
hook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hook)
from mkdocs.exceptions import PluginError
path = sys.argv[2]
page = SimpleNamespace(file=SimpleNamespace(abs_src_path=path, src_path="p.md"))
text = open(path, encoding="utf-8").read()
try:
    print("BUILT\\n" + hook.on_page_markdown(text, page, {}, None))
except PluginError as e:
    print("STOPPED\\n" + str(e))
"""


def mkdocs_python():
    """The Python that runs mkdocs (Debian's: it may not be the first python3)."""
    exe = shutil.which("mkdocs")
    if exe:
        first = Path(exe).read_text(errors="replace").splitlines()[:1]
        if first and first[0].startswith("#!"):
            return first[0][2:].strip().split()[0]
    return sys.executable


def run_hook(page_path):
    p = subprocess.run([mkdocs_python(), "-c", HOOK_PROBE, str(ROOT / "docs" / "hooks" / "include.py"),
                        str(page_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.stdout


def test_hook():
    print("6. the MkDocs hook checks each page it builds")
    good = ("# P\n\n<!-- include: lib/include/cgrpc.h@cg_ok -->\n" +
            "\n".join(docsync.render("lib/include/cgrpc.h@cg_ok")) +
            "\n<!-- /include: lib/include/cgrpc.h@cg_ok -->\n")
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "p.md"
        page_path.write_text(good)
        out = run_hook(page_path)
        check(out.startswith("BUILT") and "cg_status cg_ok(void);" in out and "include:" not in out,
              "a good page builds, its markers dropped", out)
        page_path.write_text(good.replace("cg_ok(void);", "cg_ok(int x);"))
        out = run_hook(page_path)
        check(out.startswith("STOPPED") and "differs from its source" in out and "make docs-sync" in out,
              "a stale block stops the build, saying `make docs-sync`", out)
        page_path.write_text(good + "\n```c\nbool cg_send(cg_stream *s, const void *msg);\n```\n")
        out = run_hook(page_path)
        check(out.startswith("STOPPED") and "cg_send is declared here by hand" in out,
              "a cg_ prototype pasted by hand stops the build", out)


def test_i18n_hash():
    print("7. the translation hash leaves synced code out")
    page = b"# P\n\n<!-- include: a.c -->\n```c\nint x;\n```\n<!-- /include: a.c -->\n\nText.\n"
    other_code = page.replace(b"int x;", b"long x;")
    other_text = page.replace(b"Text.", b"New text.")
    check(i18n.source_digest(page) == i18n.source_digest(other_code),
          "code between markers changed: same hash (the translation stays current)")
    check(i18n.source_digest(page) != i18n.source_digest(other_text), "prose changed: a new hash")
    plain = b"# P\n\n```c\nint x;\n```\n"
    check(i18n.source_digest(plain) == hashlib.sha256(plain).hexdigest(),
          "a page without markers: its plain sha256 (old stamps stay valid)")


def test_stale_words():
    print("8. stale promises in learner pages")
    bad = {
        "Steps 6 and 7 are being written.": "being written",
        "Steps 6 and 7 are being\nwritten; see later.": "being written",
        "The TLS part: TBD.": "TBD",
        "Metrics: coming soon.": "coming soon",
        "6단계와 7단계는 작성 중입니다.": "작성 중",
        "7단계는 아직 작성\n중이었습니다.": "작성 중",
        "이 부분은 곧 추가됩니다.": "곧 추가",
    }
    for text, phrase in bad.items():
        found = stale_words.findings("# P\n\n" + text + "\n")
        check(found and found[0] == (3, phrase), f"{phrase!r} found at its line: {text!r}", found)
    good = ["Edit the file it names; the exercises are marked `TODO`.",
            "Two problems were fixed during the runs this page reports.",
            "코드를 작성하는 중에 테스트를 돌려 보세요.", "THE TBDX field"]
    for text in good:
        check(stale_words.findings(text) == [], f"not stale: {text!r}", stale_words.findings(text))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "docs" / "en" / "steps").mkdir(parents=True)
        for s in ("01-a.md", "02-b.md"):
            (base / "docs" / "en" / "steps" / s).write_text("# S\n")
        (base / "docs" / "en" / "index.md").write_text("# Home\n\n[one](steps/01-a.md)\n")
        (base / "README.md").write_text("# Course\n\nStep 2: coming soon.\n")
        rc, out = run("stale_words.py", "--root", str(base))
        check(rc == 1 and "does not link every step: steps/02-b.md" in out
              and "README.md:3: \"coming soon\"" in out, "an unlinked step and a stale README fail", out)
        (base / "docs" / "en" / "index.md").write_text("# Home\n\n[one](steps/01-a.md), "
                                                       "[two](steps/02-b.md#start)\n")
        (base / "README.md").write_text("# Course\n\nStep 2 is here.\n")
        rc, out = run("stale_words.py", "--root", str(base))
        check(rc == 0 and out.strip().endswith("passed, 0 failed"), "fixed, it passes", out)


def main():
    test_sync_writes_blocks()
    test_check_finds_stale_blocks()
    test_broken_markers()
    test_reformatted_header()
    test_pasted_declarations()
    test_hook()
    test_i18n_hash()
    test_stale_words()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
