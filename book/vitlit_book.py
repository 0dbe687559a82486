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
- Colab in the reader's language: the Colab button opens the edition's own notebook
  (`vitlit_colab_url`, the Colab address of colab/<lang>/{name}.ipynb, which tools/colab.py writes),
  not the bilingual source in nbs/.
- The live figure (vit_lit/js/live.js): a page with a `<div class="vit-live">` (chapter 14, the
  playground) gets its scripts, from the edition's own static files, at the end of its body:
  the forward pass (vit.js), the weights and test digits (vit-live-data.js, written by
  book/build.py) and the figure (live.js). Other pages load none of them.
- No script from another host: sphinx-thebe (which Jupyter Book always loads, and which nothing
  here uses) is switched off, so no page carries its unpkg.com loader.
"""
import re

from sphinx.search import languages
from sphinx.search.en import SearchEnglish

NAMES = {"ko": "한국어", "en": "English"}
LIVE_DATA = "vit-live-data.js"
LIVE_SCRIPTS = ("vit.js", LIVE_DATA, "live.js")  # in this order; all in _static
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


def colab_to_edition_notebook(app, pagename, templatename, context, doctree) -> None:
    "Point the theme's Colab button at the edition's notebook (runs after the theme's buttons)."
    if not app.config.vitlit_colab_url:
        return
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if group.get("label") == "launch-buttons" else []:
            if button.get("text") == "Colab":
                button["url"] = app.config.vitlit_colab_url.format(name=pagename.rsplit("/", 1)[-1])


def add_live_scripts(app, pagename, templatename, context, doctree) -> None:
    "The live figure's scripts, on the pages that hold one."
    if 'class="vit-live"' in context.get("body", ""):
        context["body"] += "".join(f'\n<script src="{context["pathto"]("_static/" + name, 1)}"></script>'
                                   for name in LIVE_SCRIPTS)


def drop_thebe(app, config) -> None:
    "Undo sphinx-thebe's page assets (its loader script, config script and CSS)."
    for event in ("env-before-read-docs", "doctree-resolved"):
        for listener in list(app.events.listeners.get(event, [])):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)
    app.registry.css_files = [css for css in app.registry.css_files if "thebe" not in css[0]]


def setup(app):
    languages["ko"] = SearchKorean
    app.add_config_value("vitlit_colab_url", "", "html")
    app.connect("config-inited", drop_thebe)
    app.connect("html-page-context", add_language_switch)
    app.connect("html-page-context", add_live_scripts)
    app.connect("html-page-context", colab_to_edition_notebook, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
