"""What a crawl process learns from its sources' titles, and how much of it it keeps."""
from __future__ import annotations

from presswatch.crawler import title_memory
from presswatch.crawler.title_memory import TitleMemory


def page(title: str) -> bytes:
    return f"<html><head><meta charset='utf-8'><title> {title} </title></head><body></body></html>".encode()


def test_each_source_learns_from_its_own_titles_only() -> None:
    memory = TitleMemory()
    for headline in ("Budget passed", "Port opens", "Tax row"):
        memory.note("acme", page(f"{headline} | Acme Newsroom"))
        memory.note("other", page(f"{headline} — Other Gazette"))
    assert memory.site_names("acme") == ("Acme Newsroom",)
    assert memory.site_names("other") == ("Other Gazette",)
    assert memory.site_names("unknown") == ()


def test_a_title_is_read_in_the_pages_encoding_and_a_page_without_one_teaches_nothing() -> None:
    memory = TitleMemory()
    for headline in ("Бюджет принят", "Порт открыт", "Налоги"):
        memory.note("vestnik", f"<title>{headline} | Вестник</title>".encode("cp1251"), "cp1251")
    memory.note("vestnik", b"<html><body>no title</body></html>")
    assert memory.site_names("vestnik") == ("Вестник",)


def test_the_same_title_again_counts_once() -> None:
    memory = TitleMemory()
    for _ in range(5):
        memory.note("acme", page("Budget passed | Acme"))
    assert memory.site_names("acme") == ()


def test_only_the_latest_titles_of_the_latest_sources_are_kept(monkeypatch) -> None:
    monkeypatch.setattr(title_memory, "KEPT_SOURCES", 2)
    memory = TitleMemory()
    for source in ("a", "b", "c"):
        for headline in ("One", "Two", "Three"):
            memory.note(source, page(f"{headline} | Site {source}"))
    assert [memory.site_names(source) for source in ("a", "b", "c")] == [(), ("Site b",), ("Site c",)]
    for number in range(title_memory.KEPT_TITLES):
        memory.note("c", page(f"Story {number} | Renamed Site"))
    assert memory.site_names("c") == ("Renamed Site",)  # the old name's titles have left the window
