"""i18n.py: a MkDocs hook that builds the lessons in two languages as one site.

English pages live in docs/en/ and build to the site's root; Korean pages live
in docs/ko/ (same file names) and build to ko/ inside it. mkdocs.yml is the
English site; mkdocs.ko.yml inherits everything from it and changes only the
language, the folders and the Korean titles of the navigation. This hook is
loaded by both and does, depending on which one is building:

  English build   after the English pages, builds the Korean site into
                  <site_dir>/ko with the same strictness (`make docs`,
                  `make docs-check` and `make serve-docs` all get both).
  Korean build    takes the navigation from mkdocs.yml (so a page added there
                  appears in both languages) with the Korean titles of
                  mkdocs.ko.yml; an English page with no Korean version yet
                  is built from the English text under a notice, so every
                  link still works.
  both            the theme's language menu (extra.alternate, links "#lang-en"
                  and "#lang-ko") is pointed at the same page in the other
                  language, page by page; the menu's button names the page's
                  language and its entry is marked current (site.js adds the
                  section being read to the link when it is followed).
                  The Korean site's 404 page is Korean and links Korean pages.

tools/checks/i18n.py checks that the translations are complete and up to date.
"""

import html
import logging
import posixpath
import re
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, ConfigurationError, PluginError
from mkdocs.structure.files import File

DOCS = Path(__file__).resolve().parents[1]
KO_CONFIG = DOCS / "mkdocs.ko.yml"
# Where each language's pages sit inside the one site.
SITE_PREFIX = {"en": "", "ko": "ko/"}
PLACEHOLDER = "#lang-{}"

FALLBACK_NOTE = """!!! info "아직 번역되지 않은 페이지"
    이 페이지는 아직 한국어로 옮기지 않아 영어 원문을 보여 드립니다.
    번역은 `docs/ko/{path}`에 추가됩니다 (`python3 tools/checks/i18n.py status`).

"""


def _lang(config):
    return config["theme"]["language"]


def _serving(config):
    addr = config.get("dev_addr")
    url = config.get("site_url") or ""
    return addr is not None and url.startswith(f"http://{addr.host}:{addr.port}")


# --------------------------------------------------------------------------
# Korean build: navigation and fallback pages


def _translate_nav(items, titles, ko_dir):
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
            continue
        (title, value), = item.items()
        if isinstance(value, list):
            out.append({titles.get(title, title): _translate_nav(value, titles, ko_dir)})
        elif title in titles:
            out.append({titles[title]: value})
        elif isinstance(value, str) and (ko_dir / value).is_file():
            out.append(value)          # the Korean page's own heading names it
        else:
            out.append({title: value})  # not translated yet: keep the English title
    return out


def on_config(config):
    if _lang(config) != "ko":
        return config
    i18n = config["extra"].get("i18n") or {}
    titles = i18n.get("nav_titles") or {}
    if config["nav"]:
        config["nav"] = _translate_nav(config["nav"], titles, Path(config["docs_dir"]))
    return config


def on_files(files, config):
    """Korean build: an English file with no Korean counterpart is built from
    the English source (pages get a notice in on_page_markdown)."""
    if _lang(config) != "ko":
        return files
    en_dir = DOCS / "en"
    have = {f.src_uri for f in files}
    for path in sorted(en_dir.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        rel = path.relative_to(en_dir).as_posix()
        if rel not in have:
            f = File(rel, str(en_dir), config["site_dir"], config["use_directory_urls"])
            f.i18n_fallback = True
            files.append(f)
    return files


def on_page_markdown(markdown, page, config, files):
    if getattr(page.file, "i18n_fallback", False):
        return FALLBACK_NOTE.format(path=page.file.src_uri) + markdown
    return markdown


# --------------------------------------------------------------------------
# Both builds: the language menu leads to the same page


def _relative(target, here_dir):
    """URL of site path `target` from site directory `here_dir` (both '/'-separated,
    relative to the whole site's root)."""
    rel = posixpath.relpath("/" + target, "/" + here_dir.rstrip("/") if here_dir else "/")
    if target.endswith("/") or target == "":
        rel = rel.rstrip("/") + "/" if rel != "." else "./"
    return rel


def _switch_links(output, page_url, lang):
    here = SITE_PREFIX[lang] + page_url
    here_dir = here if here.endswith("/") or here == "" else posixpath.dirname(here) + "/"
    for other in SITE_PREFIX:
        output = output.replace(f'href="{PLACEHOLDER.format(other)}"',
                                f'href="{_relative(SITE_PREFIX[other] + page_url, here_dir)}"')
    return output


# The theme's language button: an icon only. Its name is added after the icon.
LANG_BUTTON = re.compile(r'(<div class="md-select">\s*<button class="md-header__button md-icon)("[^>]*>)(.*?)(</button>)',
                         re.S)


def _mark_current(output, config):
    """The menu shows the page's language: its name on the button, and its
    entry marked as the current one."""
    lang = _lang(config)
    names = {a.get("lang"): a.get("name") for a in config["extra"].get("alternate") or []}
    output = output.replace(f'hreflang="{lang}" class="md-select__link"',
                            f'hreflang="{lang}" class="md-select__link cg-lang--current" aria-current="true"')
    name = html.escape(names.get(lang) or lang)
    return LANG_BUTTON.sub(lambda m: f'{m[1]} cg-lang-button{m[2]}{m[3]}'
                                     f'<span class="cg-lang-name" lang="{lang}">{name}</span>{m[4]}',
                           output, count=1)


def on_post_page(output, page, config):
    return _mark_current(_switch_links(output, page.url, _lang(config)), config)


def on_post_template(output, template_name, config):
    # 404.html is served from any depth: send each language to its home page.
    for other, prefix in SITE_PREFIX.items():
        output = output.replace(f'href="{PLACEHOLDER.format(other)}"', f'href="/{prefix}"')
    return _mark_current(output, config)


# --------------------------------------------------------------------------
# English build: build the Korean site inside it


def on_serve(server, config, builder):
    if _lang(config) == "en" and KO_CONFIG.is_file():
        server.watch(str(DOCS / "ko"))
        server.watch(str(KO_CONFIG))
    return server


class _SkipFallbackWarnings(logging.Filter):
    """In the Korean build, a page not translated yet is the English page
    itself: its broken links are the English build's warnings already, so
    they are not counted (or shown) a second time as the Korean site's."""

    def __init__(self, pages):
        super().__init__()
        self.prefixes = tuple(f"Documentation file '{p}'" for p in pages)

    def filter(self, record):
        return not record.getMessage().startswith(self.prefixes)


def on_post_build(config):
    if _lang(config) != "en" or not KO_CONFIG.is_file():
        return
    en, ko = DOCS / "en", DOCS / "ko"
    untranslated = [p.relative_to(en).as_posix() for p in en.rglob("*.md")
                    if not (ko / p.relative_to(en)).is_file()]
    skip = _SkipFallbackWarnings(untranslated)
    page_log = logging.getLogger("mkdocs.structure.pages")
    page_log.addFilter(skip)
    try:
        ko_config = load_config(str(KO_CONFIG), site_dir=str(Path(config["site_dir"]) / "ko"),
                                strict=config["strict"])
        if _serving(config):
            ko_config["site_url"] = config["site_url"].rstrip("/") + "/ko/"
        elif not ko_config.get("site_url"):
            # The 404 page, served at any depth, links from the site's root:
            # the Korean one must link the Korean pages (/ko/...).
            ko_config["site_url"] = "/ko/"
        build(ko_config, live_server=_serving(config))
    except (Abort, ConfigurationError) as e:
        raise PluginError(f"the Korean site (docs/mkdocs.ko.yml) did not build: "
                          f"{e.format_message().strip()} To see every warning: "
                          f"mkdocs build --strict -f docs/mkdocs.ko.yml -d /tmp/ko-site") from e
    finally:
        page_log.removeFilter(skip)
