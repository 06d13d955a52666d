"""coursekit.lessons: the lesson pages, linked in the learner's language."""

import os
import re

from .workspace import ROOT


def lesson_path(step):
    return f"docs/en/steps/{step}.md"


# Lessons in the learner's language: the tests and hints name docs/en/PAGE;
# what the learner reads points at docs/LANG/PAGE instead when the locale
# (LESSON_LANG, else LC_ALL, LC_MESSAGES, LANG: the first one set) names a
# language that has that page, e.g. LANG=ko_KR.UTF-8 -> docs/ko/.
LESSON_LINK = re.compile(r"docs/en/([\w./-]+?\.md)")


def lesson_lang():
    for var in ("LESSON_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            lang = re.split(r"[_.@-]", value, maxsplit=1)[0].lower()
            known = re.fullmatch(r"[a-z]{2,3}", lang) and (ROOT / "docs" / lang).is_dir()
            return lang if known else "en"
    return "en"


def localize(text):
    """Turns docs/en/PAGE links in text into the learner's language, page by page."""
    lang = lesson_lang()
    if lang == "en" or not text:
        return text
    return LESSON_LINK.sub(lambda m: f"docs/{lang}/{m.group(1)}"
                           if (ROOT / "docs" / lang / m.group(1)).is_file() else m.group(0), text)


def lesson_link(step):
    return localize(lesson_path(step))
