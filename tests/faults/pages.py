"""Pages for the fault site: good articles, and every way a page can be broken."""
from __future__ import annotations

import base64
import json

ENGLISH_PARAGRAPHS = (
    "The ministry said on Monday that the new regional rail line will open to passengers in the spring.",
    "Construction of the 120-kilometre line took four years and employed more than two thousand workers.",
    "Officials expect the line to carry around forty thousand passengers a day once it is fully running.",
)


def article(
    slug: str,
    headline: str | None = None,
    published: str | None = "2023-04-10T20:01:00+04:00",
    paragraphs: tuple[str, ...] = ENGLISH_PARAGRAPHS,
    *,
    lang: str = "en",
    charset: str = "utf-8",
    visible_date: str | None = None,
    extra_head: str = "",
) -> str:
    """A plain press-release page: JSON-LD date (when given), an <h1>, paragraphs."""
    headline = headline if headline is not None else slug.replace("-", " ").capitalize()
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": headline}
    if published:
        ld["datePublished"] = published
    title = f"<title>{headline} - Fault Gazette</title>" if headline else ""
    h1 = f"<h1>{headline}</h1>" if headline else ""
    date = f'<span class="date">{visible_date}</span>' if visible_date else ""
    body = "\n".join(f"<p>{p} ({slug})</p>" for p in paragraphs)
    script = (
        f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
        if published or headline else ""
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="{charset}">{title}{script}{extra_head}</head>\n'
        f'<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>\n'
        f"<main><article>{h1}{date}\n{body}\n</article></main>\n"
        f"<footer>© 2026 Fault Gazette</footer></body></html>\n"
    )


RUSSIAN_PARAGRAPHS = (
    "Центральный банк сообщил в понедельник, что официальный курс национальной валюты не изменился.",
    "По данным регулятора, объем торгов на валютной бирже за неделю вырос на двенадцать процентов.",
    "Следующее заседание совета директоров банка состоится в начале следующего месяца.",
)


def russian(slug: str, headline: str, visible_date: str, charset: str = "utf-8") -> str:
    return article(
        slug, headline, None, RUSSIAN_PARAGRAPHS, lang="ru", charset=charset, visible_date=visible_date
    )


def truncated(slug: str) -> bytes:
    """A good page cut off in the middle of its third paragraph (the HTTP response is complete)."""
    html = article(slug).encode()
    cut = html.index(ENGLISH_PARAGRAPHS[2][:40].encode())
    return html[: cut + 30]


def five_megabytes(slug: str) -> bytes:
    """A real article weighed down by inline base64 images, as some press offices do."""
    image = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4096).decode()
    figures = "".join(f'<img alt="photo {i}" src="data:image/png;base64,{image}">' for i in range(4))
    html = article(slug).replace("</article>", f"<figure>{figures}</figure></article>")
    assert len(html) > 5_000_000, len(html)
    return html.encode()


def binary_png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 64


def javascript_only() -> str:
    return (
        "<!DOCTYPE html><html><head><title>Loading…</title>"
        '<script src="/static/app.js"></script></head>'
        '<body><div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript>'
        "<script>window.__APP__ = {route: 'news'};</script></body></html>"
    )


def listing(links: list[str], title: str = "News") -> str:
    items = "\n".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return (
        f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>"
        f"<body><ul>\n{items}\n</ul></body></html>"
    )


def rss(links: list[str], *, broken: bool = False) -> str:
    items = "".join(f"<item><title>{i}</title><link>{href}</link></item>" for i, href in enumerate(links))
    tail = "<item><title>cut <b>off</title><link>" if broken else "</channel></rss>"
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Fault Gazette</title>{items}{tail}'
