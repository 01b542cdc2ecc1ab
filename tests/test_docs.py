"""The README documents every command, option and config key."""
from __future__ import annotations

from pathlib import Path

import click
import pytest

from presswatch.crawler.config import CRAWL_KEYS, SELECTOR_FIELDS, SOURCE_KEYS
from presswatch.crawler.service_settings import SERVICE_KEYS
from presswatch.crawler.watches import ALERTS_KEYS, WATCH_KEYS
from presswatch.scheduler.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "presswatch") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(commands(command, path))
    return found


@pytest.mark.parametrize(("path", "command"), commands(main), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_and_option_is_in_the_readme(path: str, command: click.Command) -> None:
    assert f"`{path}" in README, f"README does not document {path}"
    for param in command.params:
        if isinstance(param, click.Option):
            assert any(f"{opt}" in README for opt in param.opts), f"README lacks {path} {param.opts}"


@pytest.mark.parametrize("key", sorted(SOURCE_KEYS | CRAWL_KEYS | SERVICE_KEYS))
def test_every_config_key_is_in_the_readme(key: str) -> None:
    assert f"\n{key} = " in README, f"README's config example lacks {key!r}"


@pytest.mark.parametrize("key", sorted(WATCH_KEYS))
def test_every_watch_key_is_in_the_readme(key: str) -> None:
    assert f"\n{key} = " in README.split("[[watches]]", 1)[1], f"README's [[watches]] example lacks {key!r}"


@pytest.mark.parametrize("key", sorted(ALERTS_KEYS))
def test_every_alerts_key_is_in_the_readme(key: str) -> None:
    alerts_example = README.split("\n[alerts]\n", 1)[1].split("\n\n", 1)[0]  # the table, to its blank line
    assert any(line.startswith(f"{key} = ") for line in alerts_example.splitlines()), \
        f"README's [alerts] example lacks {key!r}"


def test_every_selector_field_is_in_the_readme() -> None:
    for field in SELECTOR_FIELDS:
        assert f"{field} = \"" in README


def test_the_readme_config_example_is_a_valid_config() -> None:
    import tomllib

    from presswatch.crawler.config import parse_config

    section = README.split("## Sources config", 1)[1]
    example = section.split("```toml", 1)[1].split("```", 1)[0]
    config = parse_config(tomllib.loads(example), "README.md")
    assert [s.name for s in config.sources] == ["apa-en", "ministry-press"]
    assert config.sources[1].cron == "*/15 8-20 * * mon-fri"
    assert config.service.worker_count == 2
    assert [w.name for w in config.watches] == ["hydrogen"]
    assert config.alerts.health_notify == ("json://127.0.0.1:8080/health",)
