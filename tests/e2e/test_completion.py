"""Shell completion: `_PRESSWATCH_COMPLETE=bash_source presswatch` prints a script that completes
presswatch's commands and options in a real bash (as the README tells to install it)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import _service_unavailable
from tests.e2e.helpers import CONSOLE_SCRIPT, run_presswatch


@pytest.mark.parametrize(("shell", "start"), [
    ("bash", "_presswatch_completion() {"),
    ("zsh", "#compdef presswatch"),
    ("fish", "function _presswatch_completion;"),
])
def test_the_completion_script_is_printed_for_each_shell(shell: str, start: str) -> None:
    done = run_presswatch(env={"_PRESSWATCH_COMPLETE": f"{shell}_source"})
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(start)


def complete_in_bash(words: list[str]) -> list[str]:
    """What bash offers for the last of `words`, through the script presswatch prints."""
    if shutil.which("bash") is None or not CONSOLE_SCRIPT.exists():
        _service_unavailable("needs bash and the installed presswatch script")
    line = " ".join(f"'{w}'" for w in words)
    script = (f'eval "$(_PRESSWATCH_COMPLETE=bash_source presswatch)"; COMP_WORDS=({line}); '
              f"COMP_CWORD={len(words) - 1}; _presswatch_completion presswatch; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    env = {**os.environ, "PATH": f"{CONSOLE_SCRIPT.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                          env=env, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    return done.stdout.splitlines()


def test_bash_completes_commands_and_options() -> None:
    assert complete_in_bash(["presswatch", "se"]) == ["search", "serve"]
    assert complete_in_bash(["presswatch", "sources", "--fo"]) == ["--format"]
    assert complete_in_bash(["presswatch", "serve", "--log-format", ""]) == ["text", "json"]
