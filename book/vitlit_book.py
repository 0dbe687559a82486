"""Sphinx extension for the two editions of the book.

- Every page links to the same page in the other edition (a small bar at the top of the article,
  plus <link rel="alternate" hreflang=...> for search engines).
- Korean search: Sphinx has no Korean search language, and it indexes Hangul words with their
  particles attached (패치로, 이미지를), so a search for 패치 finds nothing. The `ko` search
  language below indexes, besides each word, every Hangul prefix of two or more syllables
  (패치로 -> 패치, 패치로), which makes any word stem found, particles or endings notwithstanding.
- Korean line breaks: browsers break Hangul anywhere inside a word by default, which splits
  headings like 멀티-헤드 across lines on a phone; the Korean edition breaks lines at spaces
  only (`word-break: keep-all`), as Korean text is set in print.
"""
import re

from sphinx.search import languages
from sphinx.search.en import SearchEnglish

NAMES = {"ko": "한국어", "en": "English"}
KOREAN_CSS = "body { word-break: keep-all; overflow-wrap: anywhere; }"
HANGUL = re.compile(r"[\uac00-\ud7a3]+")


def hangul_prefixes(word: str) -> list[str]:
    "Every prefix of two or more syllables of each Hangul run in `word`."
    return [run[:k] for run in HANGUL.findall(word) for k in range(2, len(run) + 1)]


class SearchKorean(SearchEnglish):
    "English rules for Latin text; Hangul words are also indexed by their prefixes."

    lang = "ko"
    language_name = "Korean"

    def split(self, input: str) -> list[str]:
        words = super().split(input)
        extra = [w for word in words if HANGUL.search(word) for w in hangul_prefixes(word)]
        latin = [part for word in words if HANGUL.search(word) for part in HANGUL.split(word) if part]
        return words + extra + latin


def other_edition(app) -> str:
    return "en" if app.config.language == "ko" else "ko"


def add_language_switch(app, pagename, templatename, context, doctree) -> None:
    other = other_edition(app)
    href = "../" * (pagename.count("/") + 1) + f"{other}/{pagename}.html"
    link = f'<a class="vitlit-lang" lang="{other}" hreflang="{other}" href="{href}">{NAMES[other]}</a>'
    context["metatags"] = context.get("metatags", "") + f'\n<link rel="alternate" hreflang="{other}" href="{href}">'
    if app.config.language == "ko":
        context["metatags"] += f"\n<style>{KOREAN_CSS}</style>"
    if "body" in context:
        context["body"] = f'<p class="vitlit-lang-bar">{link}</p>\n' + context["body"]


def setup(app):
    languages["ko"] = SearchKorean
    app.connect("html-page-context", add_language_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
