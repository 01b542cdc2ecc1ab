"""Generate a synthetic multi-site press corpus and its ground truth (standard library only).

    .venv/bin/python benchmarks/corpus.py OUT_DIR [--sites 4] [--articles 400] [--seed 1]

Writes ``OUT_DIR/sites/<site>/...`` (served by ``crawler.site_server.SiteServer``) and
``OUT_DIR/truth.jsonl`` (one line per article: url path, clean headline, labels,
published_at with the page's offset, source, publisher, body). The same seed gives the same
bytes. Each site has paginated listings newest first (``/<site>/news``,
``/<site>/news/page/N``) and article pages ``/<site>/news/<section>/<slug>-<id>``.

The templates differ the way real sites do:

- ``jsonld``    JSON-LD NewsArticle with ``datePublished`` (offset), visible date too;
- ``opengraph`` only ``<meta property="article:published_time">``, no visible date;
- ``visible``   only a visible "10 April 2023 20:01" in the site's time zone;
- ``graph``     Yoast-style JSON-LD ``@graph`` plus ``<time datetime>``.

Headlines sometimes carry " - PHOTO" / " (VIDEO)" markers; some bodies credit an agency
(", Azertag reports." or "BAKU (Reuters) — ").
"""
from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

try:  # run as a script from benchmarks/ or imported as benchmarks.corpus
    import textgen
except ImportError:  # pragma: no cover
    from benchmarks import textgen

PER_PAGE = 20
NEWEST = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
TODAY = "Friday, 27 November 2026"


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """One synthetic site: its name, look and habits."""

    name: str
    publisher: str
    timezone: str
    template: str  # jsonld | opengraph | visible | graph
    sections: tuple[str, ...]
    marker_style: str  # " - PHOTO" style, "(VIDEO)" style, or "" for none
    attribution: str  # "reports" | "dateline" | "" : how bodies credit an agency
    absolute_links: bool
    css_rules: int  # boilerplate weight: inline CSS rules in <head>


SITE_SPECS = (
    SiteSpec("caspian-wire", "Caspian Wire", "Asia/Baku", "jsonld",
             ("politics", "economy", "energy", "society", "sport"), "dash", "reports", False, 90),
    SiteSpec("energy-desk", "Energy Desk Europe", "Europe/Berlin", "opengraph",
             ("electricity", "gas", "renewables", "markets"), "paren", "dateline", True, 140),
    SiteSpec("baku-daily", "Baku Daily", "Asia/Baku", "visible",
             ("politics", "business", "region", "culture"), "dash", "reports", False, 40),
    SiteSpec("bosphorus-times", "Bosphorus Times", "Europe/Istanbul", "graph",
             ("world", "economy", "technology", "energy", "sport"), "both", "dateline", True, 200),
)


@dataclass(slots=True)
class Article:
    site: SiteSpec
    id: int
    section: str
    headline: str
    labels: tuple[str, ...]
    shown_headline: str
    published: datetime  # aware, in the site's zone
    source: str
    author: str
    body: list[str]
    caption: str
    slug: str = ""
    related: list[Article] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"/{self.site.name}/news/{self.section}/{self.slug}-{self.id}"

    def truth(self) -> dict[str, object]:
        return {
            "url": self.path,
            "site": self.site.name,
            "headline": self.headline,
            "labels": list(self.labels),
            "published_at": self.published.isoformat(),
            "source": self.source,
            "publisher": self.site.publisher,
            "body": "\n\n".join(self.body),
        }


@dataclass(frozen=True, slots=True)
class Corpus:
    root: Path  # served directory
    truth_path: Path
    sites: tuple[SiteSpec, ...]
    articles: int
    pages: int  # listing pages in all
    bytes: int


def site_specs(count: int) -> tuple[SiteSpec, ...]:
    """`count` sites: the four templates, cycled with fresh names beyond four."""
    specs = []
    for index in range(count):
        base = SITE_SPECS[index % len(SITE_SPECS)]
        if index < len(SITE_SPECS):
            specs.append(base)
            continue
        suffix = index // len(SITE_SPECS) + 1
        specs.append(SiteSpec(
            f"{base.name}-{suffix}", f"{base.publisher} {suffix}", base.timezone, base.template,
            base.sections, base.marker_style, base.attribution, base.absolute_links, base.css_rules,
        ))
    return tuple(specs)


def split_count(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


# ---------------------------------------------------------------- articles

def make_articles(site: SiteSpec, count: int, rng: random.Random, first_id: int) -> list[Article]:
    """`count` articles of one site, newest first, with related links picked."""
    zone = ZoneInfo(site.timezone)
    moment = NEWEST - timedelta(minutes=rng.randint(0, 90))
    articles = []
    next_id = first_id
    for _ in range(count):
        next_id += rng.randint(1, 40)
        articles.append(make_article(site, next_id, moment.astimezone(zone), rng))
        moment -= timedelta(minutes=rng.randint(7, 240))
    for index, article in enumerate(articles):
        picks = {(index + step) % count for step in (1, 2, 3, 5, 8, 13, 21, 34)} - {index}
        article.related = [articles[i] for i in sorted(picks)]
    return articles


def make_article(site: SiteSpec, article_id: int, published: datetime, rng: random.Random) -> Article:
    clean = textgen.headline(rng)
    labels, shown = with_marker(clean, site.marker_style, rng)
    body = textgen.paragraphs(rng, rng.randint(4, 10))
    source = credit_agency(body, site, rng)
    article = Article(
        site=site, id=article_id, section=rng.choice(site.sections), headline=clean,
        labels=labels, shown_headline=shown,
        published=published.replace(second=0, microsecond=0), source=source,
        author=rng.choice(textgen.PEOPLE[-6:]), body=body,
        caption=f"{rng.choice(textgen.CITIES)}. Photo: {site.publisher}",
    )
    article.slug = textgen.slugify(clean)
    return article


def with_marker(headline: str, style: str, rng: random.Random) -> tuple[tuple[str, ...], str]:
    """(labels, headline as shown) — about one headline in five carries a media marker."""
    roll = rng.random()
    if not style or roll > 0.22:
        return (), headline
    if style == "dash" or (style == "both" and roll < 0.11):
        return ("PHOTO",), f"{headline} - PHOTO"
    return ("VIDEO",), f"{headline} (VIDEO)"


def credit_agency(body: list[str], site: SiteSpec, rng: random.Random) -> str:
    """Edit `body` in place so about a third of articles credit an agency; return the source."""
    if not site.attribution or rng.random() > 0.35:
        return site.publisher
    if site.attribution == "reports":
        agency = rng.choice(textgen.REPORTS_AGENCIES)
        index = rng.randint(0, min(1, len(body) - 1))
        body[index] = body[index][:-1] + f", {agency} reports."
        return agency
    agency = rng.choice(textgen.DATELINE_AGENCIES)
    body[0] = f"{rng.choice(textgen.CITIES).upper()} ({agency}) — {body[0]}"
    return agency


# ---------------------------------------------------------------- page parts

def href(site: SiteSpec, path: str) -> str:
    return f"__BASE__{path}" if site.absolute_links else path


def listing_path(site: SiteSpec, page: int) -> str:
    return f"/{site.name}/news" if page == 1 else f"/{site.name}/news/page/{page}"


def inline_css(site: SiteSpec) -> str:
    rules = (
        f".c{i} .item-{i % 7} > a{{margin:{i % 5}px {i % 9}px;padding:{i % 4}px;"
        f"color:#{(i * 2654435761) % 0xFFFFFF:06x};font-size:{12 + i % 6}px;line-height:1.{i % 9}}}"
        for i in range(site.css_rules)
    )
    return "<style>\n" + "\n".join(rules) + "\n</style>"


def analytics_script(site: SiteSpec, page_id: str) -> str:
    config = {
        "site": site.name, "page": page_id, "consent": {"ads": False, "analytics": True},
        "slots": [{"id": f"ad-{i}", "sizes": [[728, 90], [300, 250]], "lazy": i > 1} for i in range(8)],
    }
    return (
        "<script>window.dataLayer=window.dataLayer||[];"
        f"window.__CONFIG__={json.dumps(config, separators=(',', ':'))};"
        "function gtag(){dataLayer.push(arguments)}gtag('js',new Date());</script>"
    )


def header(site: SiteSpec) -> str:
    sections = "".join(
        f'<li><a href="{href(site, f"/{site.name}/news/{s}")}">{s.title()}</a></li>' for s in site.sections
    )
    extra = "".join(
        f'<li><a href="{href(site, f"/{site.name}/{p}")}">{p.replace("-", " ").title()}</a></li>'
        for p in ("multimedia", "interviews", "opinion", "press-releases", "archive", "contacts")
    )
    return (
        f'<header class="site-header"><div class="topbar"><span class="today">{TODAY}</span>'
        '<span class="rates">USD 1.7000 · EUR 1.8421 · RUB 0.0187</span>'
        '<span class="weather">Baku +14°C</span>'
        '<a href="#" class="lang">AZ</a> <a href="#" class="lang">RU</a> <a href="#" class="lang">EN</a></div>'
        f'<a class="logo" href="{href(site, f"/{site.name}/")}"><img src="/static/logo.svg" '
        f'alt="{escape(site.publisher)}"></a>'
        f'<nav class="main-nav"><ul><li><a href="{href(site, listing_path(site, 1))}">All news</a></li>'
        f"{sections}{extra}</ul></nav>"
        '<form class="search" action="/search"><input name="q" placeholder="Search"></form></header>'
    )


def footer(site: SiteSpec) -> str:
    columns = []
    for title, items in (
        ("About us", ("About", "Editorial policy", "Our team", "Careers", "Advertising", "Contacts")),
        ("Sections", tuple(s.title() for s in site.sections) + ("Photo", "Video", "Infographics")),
        ("Follow us", ("Facebook", "X", "Telegram", "YouTube", "Instagram", "LinkedIn", "RSS")),
        ("Services", ("Newsletter", "Mobile app", "Archive", "Sitemap", "Privacy", "Cookies", "Terms")),
    ):
        links = "".join(
            f'<li><a href="/{site.name}/{textgen.slugify(item)}">{escape(item)}</a></li>' for item in items
        )
        columns.append(f'<div class="footer-col"><h4>{title}</h4><ul>{links}</ul></div>')
    return (
        f'<footer class="site-footer">{"".join(columns)}'
        f"<p class=\"copyright\">© 2008–2026 {escape(site.publisher)}. All rights reserved. "
        "Full or partial use of materials requires a hyperlink to the source. The editorial "
        "office is not responsible for the content of advertising materials.</p></footer>"
    )


def teaser_list(site: SiteSpec, title: str, css: str, articles: list[Article]) -> str:
    items = "".join(
        f'<li><a href="{href(site, a.path)}">{escape(a.shown_headline)}</a>'
        f'<span class="time">{a.published:%H:%M}</span></li>'
        for a in articles
    )
    return f'<aside class="{css}"><h3>{title}</h3><ul>{items}</ul></aside>'


def page(site: SiteSpec, title: str, head_extra: str, main: str, sidebar: str, page_id: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} | {escape(site.publisher)}</title>"
        f'<link rel="stylesheet" href="/static/{site.name}.css">{head_extra}{inline_css(site)}'
        f"{analytics_script(site, page_id)}</head>\n<body class=\"{site.template}\">"
        f"{header(site)}\n<div class=\"container\"><main>{main}</main>\n{sidebar}</div>\n"
        f"{footer(site)}\n</body></html>\n"
    )


# ---------------------------------------------------------------- article pages

def visible_date(article: Article) -> str:
    return f"{article.published.day} {article.published:%B %Y %H:%M}"


def head_meta(article: Article) -> str:
    site, url = article.site, f"__BASE__{article.path}"
    meta = (
        f'<link rel="canonical" href="{url}">'
        f'<meta property="og:type" content="article"><meta property="og:url" content="{url}">'
        f'<meta property="og:title" content="{escape(article.shown_headline)}">'
        f'<meta property="og:site_name" content="{escape(site.publisher)}">'
        f'<meta property="og:image" content="__BASE__/static/img/{article.id}.jpg">'
        f'<meta name="description" content="{escape(article.body[0][:150])}">'
    )
    if site.template == "opengraph":
        meta += f'<meta property="article:published_time" content="{article.published.isoformat()}">'
        meta += f'<meta property="article:section" content="{article.section.title()}">'
    if site.template == "jsonld":
        meta += json_ld(news_article(article))
    if site.template == "graph":
        meta += json_ld(yoast_graph(article))
    return meta


def news_article(article: Article) -> dict[str, object]:
    return {
        "@context": "https://schema.org", "@type": "NewsArticle",
        "mainEntityOfPage": f"__BASE__{article.path}", "headline": article.shown_headline,
        "image": [f"__BASE__/static/img/{article.id}.jpg"],
        "datePublished": article.published.isoformat(), "dateModified": article.published.isoformat(),
        "author": {"@type": "Person", "name": article.author},
        "publisher": {"@type": "Organization", "name": article.site.publisher,
                      "logo": {"@type": "ImageObject", "url": "__BASE__/static/logo.png"}},
    }


def yoast_graph(article: Article) -> dict[str, object]:
    base = f"__BASE__/{article.site.name}/"
    return {"@context": "https://schema.org", "@graph": [
        {"@type": "Organization", "@id": base + "#organization", "name": article.site.publisher},
        {"@type": "WebSite", "@id": base + "#website", "url": base, "name": article.site.publisher},
        {"@type": "WebPage", "@id": f"__BASE__{article.path}", "url": f"__BASE__{article.path}",
         "name": article.shown_headline, "isPartOf": {"@id": base + "#website"}},
        {"@type": "Article", "@id": f"__BASE__{article.path}#article",
         "isPartOf": {"@id": f"__BASE__{article.path}"}, "headline": article.shown_headline,
         "datePublished": article.published.isoformat(), "articleSection": [article.section.title()],
         "author": {"name": article.author}, "publisher": {"@id": base + "#organization"}},
    ]}


def json_ld(data: dict[str, object]) -> str:
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def date_line(article: Article) -> str:
    template = article.site.template
    if template in ("jsonld", "visible"):
        return f'<div class="news-date">{visible_date(article)}</div>'
    if template == "graph":
        shown = article.published.strftime("%d.%m.%Y, %H:%M")
        return f'<time class="entry-date" datetime="{article.published.isoformat()}">{shown}</time>'
    return ""


def article_body(article: Article, rng: random.Random) -> str:
    site = article.site
    paragraphs = [f"<p>{escape(p, quote=False)}</p>" for p in article.body]
    if site.template in ("jsonld", "visible") and len(paragraphs) > 3 and article.related:
        other = article.related[0]
        read_also = (f'<div class="read-also"><strong>Read also:</strong> '
                     f'<a href="{href(site, other.path)}">{escape(other.shown_headline)}</a></div>')
        paragraphs.insert(rng.randint(2, len(paragraphs) - 1), read_also)
    wrapper = {"jsonld": 'div class="article-content"', "opengraph": 'div class="entry-content"',
               "visible": 'div class="news-text"', "graph": 'div class="td-post-content" itemprop="articleBody"'}
    tag = wrapper[site.template]
    return f"<{tag}>{''.join(paragraphs)}</{tag.split()[0]}>"


def share_and_tags(article: Article) -> str:
    tags = "".join(f'<a class="tag" href="/{article.site.name}/tag/{t}">#{t}</a>'
                   for t in textgen.slugify(article.headline).split("-")[:5])
    share = "".join(f'<a class="share share-{n}" href="#">{n.title()}</a>'
                    for n in ("facebook", "x", "telegram", "whatsapp", "email", "print"))
    return f'<div class="tags">{tags}</div><div class="share-bar">{share}</div>'


def article_html(article: Article, rng: random.Random) -> str:
    site = article.site
    crumbs = (f'<nav class="breadcrumbs"><a href="{href(site, f"/{site.name}/")}">Home</a> › '
              f'<a href="{href(site, listing_path(site, 1))}">News</a> › '
              f'<a href="{href(site, f"/{site.name}/news/{article.section}")}">{article.section.title()}</a></nav>')
    byline = "" if site.template == "visible" else f'<div class="byline">By {escape(article.author)}</div>'
    main = (
        f"{crumbs}<article class=\"news-item\"><h1 class=\"headline\">{escape(article.shown_headline)}</h1>"
        f"{date_line(article)}{byline}"
        f'<figure><img src="/static/img/{article.id}.jpg" alt=""><figcaption>{escape(article.caption)}'
        f"</figcaption></figure>{article_body(article, rng)}{share_and_tags(article)}</article>"
        + teaser_list(site, "Related news", "related", article.related[:6])
        + '<div class="comments"><h3>Comments</h3><p>Comments are disabled for this article.</p></div>'
    )
    sidebar = (teaser_list(site, "Most read", "most-read", article.related[::-1])
               + teaser_list(site, "Latest", "latest", article.related[2:]))
    return page(site, article.shown_headline, head_meta(article), main, sidebar, f"article-{article.id}")


# ---------------------------------------------------------------- listing pages

def pagination(site: SiteSpec, current: int, last: int) -> str:
    numbers = sorted({1, last, *range(max(1, current - 3), min(last, current + 3) + 1)})
    parts = []
    if current > 1:
        parts.append(f'<a class="prev" rel="prev" href="{href(site, listing_path(site, current - 1))}">« Previous</a>')
    previous = 0
    for number in numbers:
        if number - previous > 1:
            parts.append('<span class="gap">…</span>')
        if number == current:
            parts.append(f'<span class="current">{number}</span>')
        else:
            parts.append(f'<a href="{href(site, listing_path(site, number))}">{number}</a>')
        previous = number
    if current < last:
        parts.append(f'<a class="next" rel="next" href="{href(site, listing_path(site, current + 1))}">Next »</a>')
    return f'<nav class="pagination">{"".join(parts)}</nav>'


def listing_html(site: SiteSpec, items: list[Article], current: int, last: int, latest: list[Article]) -> str:
    entries = "".join(
        f'<li class="news-entry"><a class="thumb" href="{href(site, a.path)}">'
        f'<img src="/static/img/{a.id}-s.jpg" alt=""></a>'
        f'<h3><a href="{href(site, a.path)}">{escape(a.shown_headline)}</a></h3>'
        f'<span class="date">{visible_date(a)}</span><p>{escape(a.body[0][:160])}…</p></li>'
        for a in items
    )
    main = f'<h1>News</h1><ul class="news-list">{entries}</ul>{pagination(site, current, last)}'
    sidebar = teaser_list(site, "Most read", "most-read", latest)
    title = "News" if current == 1 else f"News – page {current}"
    return page(site, title, "", main, sidebar, f"listing-{current}")


# ---------------------------------------------------------------- writing

def write_site(root: Path, site: SiteSpec, articles: list[Article], rng: random.Random) -> tuple[int, int]:
    """Write one site's pages; return (listing pages, bytes written)."""
    written = 0
    for article in articles:
        target = root / (article.path.lstrip("/") + ".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        written += target.write_bytes(article_html(article, rng).encode("utf-8"))
    pages = max(1, -(-len(articles) // PER_PAGE))
    latest = articles[:8]
    for number in range(1, pages + 1):
        items = articles[(number - 1) * PER_PAGE: number * PER_PAGE]
        target = root / (listing_path(site, number).lstrip("/") + ".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        written += target.write_bytes(listing_html(site, items, number, pages, latest).encode("utf-8"))
    return pages, written


def generate(out: Path, *, sites: int = 4, articles: int = 400, seed: int = 1,
             progress: bool = False) -> Corpus:
    """Write the corpus under `out` (sites/ and truth.jsonl) and describe it."""
    if sites < 1 or articles < sites:
        raise ValueError("need at least one site and one article per site")
    rng = random.Random(seed)
    root = out / "sites"
    root.mkdir(parents=True, exist_ok=True)
    truth_path = out / "truth.jsonl"
    specs = site_specs(sites)
    pages = size = 0
    with truth_path.open("w", encoding="utf-8") as truth:
        for index, (site, count) in enumerate(zip(specs, split_count(articles, sites), strict=True)):
            items = make_articles(site, count, rng, first_id=2_500_000 + index * 1_000_000)
            site_pages, site_bytes = write_site(root, site, items, rng)
            pages, size = pages + site_pages, size + site_bytes
            for article in items:
                truth.write(json.dumps(article.truth(), ensure_ascii=False) + "\n")
            if progress:
                print(f"  generated {site.name}: {count} articles, {site_pages} listing pages", flush=True)
    return Corpus(root, truth_path, specs, articles, pages, size)


def read_truth(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the synthetic benchmark corpus.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--sites", type=int, default=4)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    corpus = generate(args.out, sites=args.sites, articles=args.articles, seed=args.seed, progress=True)
    print(f"{corpus.articles} articles, {corpus.pages} listing pages, {corpus.bytes / 1e6:.1f} MB "
          f"in {corpus.root}; truth in {corpus.truth_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
