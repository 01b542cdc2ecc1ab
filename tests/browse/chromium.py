"""Headless Chromium (Debian's /usr/bin/chromium) for the browse tests: DOM dumps and screenshots.

Each call is one short-lived `chromium --headless` process with a throw-away profile. It can
reach 127.0.0.1 only: every host name resolves to nothing but 127.0.0.1, and background
networking (updates, sync, safe browsing, first-run pages) is off.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from lxml import html

CHROMIUM = "chromium"
INSTALL = "apt-get install -y chromium"
LOOPBACK_ONLY = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability", "--no-pings",
    "--disable-breakpad", "--disable-crash-reporter",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
#: A guard against a wedged browser, not a speed requirement.
HANG_GUARD_S = 300


def chromium_path() -> str | None:
    return shutil.which(CHROMIUM)


class Chromium:
    def __init__(self, executable: str) -> None:
        self.executable = executable

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory(prefix="presswatch-chromium-") as profile:
            done = subprocess.run(
                [self.executable, *LOOPBACK_ONLY, f"--user-data-dir={profile}", *args],
                capture_output=True, text=True, timeout=HANG_GUARD_S,
            )
        if done.returncode != 0:
            raise AssertionError(f"chromium {args} exited {done.returncode}: {done.stderr[-2000:]}")
        return done

    def dom(self, url: str) -> html.HtmlElement:
        """The page's DOM once loaded (scripts run), parsed."""
        return html.fromstring(self._run("--dump-dom", url).stdout)

    def screenshot(self, url: str, path: Path, size: tuple[int, int] = (1400, 1000)) -> Path:
        self._run("--hide-scrollbars", f"--window-size={size[0]},{size[1]}", f"--screenshot={path}", url)
        assert path.stat().st_size > 0, f"no screenshot of {url}"
        return path


# --- reading Datasette's pages -------------------------------------------------------------


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def column(page: html.HtmlElement, name: str) -> list[str]:
    """The text of one column's cells in the rows table, top to bottom."""
    cells = page.xpath(f"//table[{_has_class('rows-and-columns')}]//tbody//td[{_has_class('col-' + name)}]")
    return [" ".join(cell.text_content().split()) for cell in cells]


def column_links(page: html.HtmlElement, name: str) -> list[list[str]]:
    """Each cell's link targets in one column."""
    cells = page.xpath(f"//table[{_has_class('rows-and-columns')}]//tbody//td[{_has_class('col-' + name)}]")
    return [cell.xpath(".//a/@href") for cell in cells]


def column_items(page: html.HtmlElement, name: str) -> list[list[str]]:
    """Each cell's list items (a JSON list rendered as a list)."""
    cells = page.xpath(f"//table[{_has_class('rows-and-columns')}]//tbody//td[{_has_class('col-' + name)}]")
    return [[" ".join(li.text_content().split()) for li in cell.xpath(".//ul[@class='presswatch-list']/li")]
            for cell in cells]


def row_count(page: html.HtmlElement) -> int:
    return len(page.xpath(f"//table[{_has_class('rows-and-columns')}]//tbody/tr"))


def text_of(page: html.HtmlElement, xpath: str) -> list[str]:
    return [" ".join(node.text_content().split()) for node in page.xpath(xpath)]
