"""`presswatch feed WATCH`: the watch's alerts as Atom or RSS, read back as XML."""
from __future__ import annotations

from lxml import etree

from tests.alerts.conftest import config_with_watches, sources_crawled_before
from tests.e2e.helpers import run_presswatch

ATOM = "{http://www.w3.org/2005/Atom}"
FEED_ONLY = '''
[[watches]]
name = "hydrogen"
query = '"green hydrogen" memorandum'
'''
TITLE = "[hydrogen] Ministry of Energy and Azerbaijan sign memorandum on green hydrogen partnership"
PATH = "/gov-press/en/press/2024/ministry-of-energy-and-azerbaijan-sign-memorandum-on-green-hydrogen-partnership-24117"


def test_a_watch_without_channels_still_makes_its_feed(demo_site, tmp_path, archive_url) -> None:
    server, _ = demo_site
    config = config_with_watches(tmp_path / "sources.toml", server, FEED_ONLY)
    sources_crawled_before(archive_url)
    crawled = run_presswatch("crawl", "--config", str(config), "--db", archive_url)
    assert crawled.returncode == 0, crawled.stderr
    atom_file = tmp_path / "hydrogen.atom"

    atom = run_presswatch("feed", "hydrogen", "--config", str(config), "--db", archive_url, "-o", str(atom_file))
    rss = run_presswatch("feed", "hydrogen", "--config", str(config), "--db", archive_url, "--format", "rss")

    assert atom.returncode == 0 and rss.returncode == 0, atom.stderr + rss.stderr
    [entry] = etree.fromstring(atom_file.read_bytes()).findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == TITLE
    assert entry.find(f"{ATOM}link").get("href") == server.base_url + PATH
    assert entry.findtext(f"{ATOM}published") == "2024-06-04T08:30:00+00:00"
    [item] = etree.fromstring(rss.stdout.encode()).findall("channel/item")
    assert (item.findtext("title"), item.findtext("link")) == (TITLE, server.base_url + PATH)
    assert "Publisher: Ministry of Energy" in item.findtext("description")


def test_feed_of_an_unknown_watch_is_a_config_error(demo_site, tmp_path, sqlite_url) -> None:
    config = config_with_watches(tmp_path / "sources.toml", demo_site[0], FEED_ONLY)
    result = run_presswatch("feed", "nope", "--config", str(config), "--db", sqlite_url)
    assert result.returncode == 2
    assert result.stderr == f"presswatch: no watch named 'nope' in {config} (configured: hydrogen)\n"


def test_feed_without_feedgen_says_how_to_get_it(demo_site, tmp_path, sqlite_url) -> None:
    import subprocess
    import sys

    config = config_with_watches(tmp_path / "sources.toml", demo_site[0], FEED_ONLY)
    hide = "import sys; sys.modules['feedgen'] = None; from scheduler.cli import main; main()"
    command = [sys.executable, "-c", hide, "feed", "hydrogen", "--config", str(config), "--db", sqlite_url]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == ("presswatch: presswatch feed needs feedgen, which is not installed: "
                             "pip install 'presswatch[feed]'\n")


KEPT_FEEDS = '''
[alerts]
feeds_dir = "feeds"
''' + FEED_ONLY


def test_serve_keeps_each_watchs_feed_in_feeds_dir(demo_site, tmp_path, sqlite_url) -> None:
    """`serve` writes the watch's Atom file beside the config and rewrites it when alerts come."""
    from tests.service.running_service import RunningService

    server, _ = demo_site
    config = config_with_watches(tmp_path / "sources.toml", server, KEPT_FEEDS)
    # Every 3 s, not the demo's 10 minutes: a source's first run falls at a fixed point of its interval.
    config.write_text(config.read_text(encoding="utf-8").replace('interval = "10m"', 'interval = "3s"'),
                      encoding="utf-8")
    sources_crawled_before(sqlite_url)
    atom_file = tmp_path / "feeds" / "hydrogen.atom"  # beside the config file
    service = RunningService(config, sqlite_url)
    try:
        service.wait_for(lambda: _titles(atom_file) == [TITLE], 300, "the alert in feeds/hydrogen.atom")
    finally:
        assert service.stop() == 0, service.log
    assert [p.name for p in atom_file.parent.iterdir()] == ["hydrogen.atom"]  # no partial file left


def _titles(atom_file) -> list[str] | None:
    try:
        return [e.findtext(f"{ATOM}title") for e in etree.fromstring(atom_file.read_bytes()).findall(f"{ATOM}entry")]
    except (OSError, etree.XMLSyntaxError):
        return None


def test_feeds_dir_without_feedgen_is_a_config_error_naming_the_key(demo_site, tmp_path, sqlite_url) -> None:
    import subprocess
    import sys

    config = config_with_watches(tmp_path / "sources.toml", demo_site[0], KEPT_FEEDS)
    hide = "import sys; sys.modules['feedgen'] = None; from scheduler.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", hide, "serve", "--config", str(config), "--db", sqlite_url],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert ("[alerts]: key 'feeds_dir' needs feedgen, which is not installed: pip install 'presswatch[feed]'"
            in result.stderr)
