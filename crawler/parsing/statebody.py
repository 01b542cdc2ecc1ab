"""The article's text as an app's JSON state holds it, for pages that render it by script.

Some sites (single-page apps, React/Next.js and Vue/Nuxt front ends) ship the page with an
empty article container and the text as an HTML string in a script's state:
``{"contentHtml": "<p class=\\"editor-p\\">…</p>…"}``. When the page itself shows no body,
the longest such string under a key that names content, holding several paragraphs, is read
as the body. Pure: the parsed tree in, text out.
"""
from __future__ import annotations

import json
import re

from lxml import etree
from lxml.html import HtmlElement, fragment_fromstring

from presswatch.crawler.parsing.body import container_paragraphs, join_paragraphs
from presswatch.crawler.parsing.pagestamps import script_texts

# A JSON string under a key that names the article's content: "contentHtml", "body_html", "articleBody", ...
_CONTENT_VALUE = re.compile(
    r'"(?:content|body|article|story|text)(?:_?html|_?body|_?text)?"\s*:\s*"((?:[^"\\]|\\.){200,})"',
    re.IGNORECASE,
)
_PARAGRAPH_TAG = re.compile(r"(?:<|\\u003c)p(?:[\s>/]|\\u003e)", re.IGNORECASE)  # <p>, <p class=…>, escaped
MIN_PARAGRAPHS = 2
MIN_CHARS = 200


def state_body(tree: HtmlElement) -> str | None:
    """The longest content HTML of the page's script state, as paragraphs (None: none held)."""
    best: str | None = None
    for script in script_texts(tree):
        for match in _CONTENT_VALUE.finditer(script):
            raw = match.group(1)
            if len(_PARAGRAPH_TAG.findall(raw)) < MIN_PARAGRAPHS or (best and len(raw) <= len(best)):
                continue
            best = raw
    if best is None:
        return None
    try:
        html = json.loads(f'"{best}"')
        container = fragment_fromstring(html, create_parent="div")
    except (ValueError, etree.ParserError):
        return None
    body = join_paragraphs(container_paragraphs(container))
    return body if len(body) >= MIN_CHARS else None
