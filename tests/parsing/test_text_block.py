"""When one element plainly holds the article text, the body is read from it directly."""
from __future__ import annotations

import lxml.html

from presswatch.crawler.parsing import parse_article
from presswatch.crawler.parsing.text_block import text_blocks

P1 = ("The ministry and the national grid operator signed an agreement on Monday to build "
      "three new substations in the western region by the end of next year.")
P2 = ("The project is financed jointly by the state budget and the Asian Development Bank, "
      "with a total budget of 564 million dollars, the ministry said.")
P3 = ("Both sides agreed to hold the next meeting of the intergovernmental commission in "
      "Aktau, where the first results of the programme are to be presented.")


def page(body: str) -> str:
    return f"<html><head><title>Grid deal</title></head><body>{body}</body></html>"


def block_text(body: str) -> str | None:
    return text_blocks(lxml.html.document_fromstring(page(body))).whole


def test_paragraphs_of_the_dominant_container_without_its_furniture() -> None:
    text = block_text(
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li></ul></nav>"
        "<article><h1>Grid deal signed</h1><div class='entry-content'>"
        f"<p class='article-kicker'>Energy · Press release</p><p>{P1}</p>"
        "<figure><img src='x.jpg'><figcaption>The signing. Photo: ministry</figcaption></figure>"
        f"<h2>Financing</h2><p>{P2}</p>"
        "<p><a href='/other'>Read the ministry's other statement</a></p>"
        "<div class='share-bar'><a href='#'>Facebook</a></div>"
        "<ul><li><a href='/a'>Other story one</a></li><li><a href='/b'>Other story two</a></li></ul>"
        f"<ul><li>Three substations</li><li>564 million dollars</li></ul><p>{P3}</p>"
        "</div></article>"
        "<aside class='most-read'><p>A most-read teaser that is long enough to be a paragraph.</p></aside>"
    )
    assert text == "\n\n".join(
        [P1, "Financing", P2, "Three substations", "564 million dollars", P3])


def test_text_split_by_an_ad_into_sibling_blocks_is_read_from_their_parent() -> None:
    text = block_text(
        f"<div class='story'><p>{P1}</p><div class='part'><p>{P2}</p><p>{P3}</p></div>"
        "<div class='advert'><p>Advertisement: buy our solar panels today.</p></div>"
        f"<div class='part'><p>{P1.replace('Monday', 'Tuesday')}</p></div></div>"
    )
    assert text == "\n\n".join([P1, P2, P3, P1.replace("Monday", "Tuesday")])


def test_text_spread_over_the_page_is_left_to_the_generic_extractor() -> None:
    assert block_text(f"<main><div><p>{P1}</p></div></main><div class='column'><div><p>{P2}</p>"
                      f"</div></div><div class='column'><div><p>{P3}</p></div></div>") is None


def test_largest_paragraph_group_inside_page_furniture_is_not_the_article() -> None:
    assert block_text(f"<footer><div><p>{P1}</p><p>{P2}</p><p>{P3}</p></div></footer>") is None


def test_too_little_text_is_left_to_the_generic_extractor() -> None:
    assert block_text(f"<div><p>{P1}</p></div>") is None


def test_parse_article_reads_the_container_and_tidies_it() -> None:
    html = page(
        "<article><h1>Grid deal signed</h1><div class='text'>"
        f"<p>Grid deal signed</p><p>{P1}</p><p>{P2}</p><p>{P3}</p>"
        "<p>Read also: Another story about grids</p></div></article>"
    )
    article = parse_article(html, "https://ministry.example/news/grid-deal")
    assert article.headline == "Grid deal signed"
    assert article.body == "\n\n".join([P1, P2, P3])


P4 = ("Engineers expect the first substation to reach full load in the spring, after tests of the "
      "protection relays and the new control room in the regional capital.")
TEASER = "Another headline of the day that links elsewhere"  # shorter than a block of a body


def split_text(body: str) -> str | None:
    return text_blocks(lxml.html.document_fromstring(page(body))).split


def test_a_body_cut_into_blocks_of_one_kind_by_ads_is_read_from_all_of_them_in_order() -> None:
    ad = "<div class='row ad-row'><span>Advertisement</span></div>"
    blocks = "".join(f"<div class='grid'><div class='body article__body'><p>{a}</p><p>{b}</p></div></div>{ad}"
                     for a, b in ((P1, P2), (P3, P4)))
    assert block_text(blocks) is None  # no one block holds most of the text
    assert split_text(blocks) == "\n\n".join([P1, P2, P3, P4])


def test_short_blocks_of_the_same_kind_are_teasers_not_parts_of_a_body() -> None:
    teasers = "".join(f"<div class='card'><p>{TEASER} {n}</p></div>" for n in range(12))
    story = f"<main><div class='card'><p>{P1}</p><p>{P2}</p></div></main>"
    assert split_text(f"{story}<section>{teasers}</section>") is None
