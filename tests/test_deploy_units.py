"""The systemd units in docs/deploy: valid for systemd (`systemd-analyze verify`) and their
command lines accepted by presswatch."""
from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import _service_unavailable
from tests.e2e.helpers import CONSOLE_SCRIPT, REPO, run_presswatch

DEPLOY = REPO / "docs" / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
INSTALLED = "/opt/presswatch/.venv/bin/presswatch"  # where the units expect presswatch (the README says so)


def exec_start(unit: Path, instance: str = "1") -> list[str]:
    [line] = [line for line in unit.read_text(encoding="utf-8").splitlines() if line.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart=").replace("%i", instance))


def test_the_deploy_folder_holds_the_units_the_readme_names() -> None:
    assert [unit.name for unit in UNITS] == ["presswatch-serve.service", "presswatch-worker@.service"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for path in [*UNITS, DEPLOY / "presswatch.env"]:
        assert f"docs/deploy/{path.name}" in readme


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_a_unit_starts_presswatch_with_options_it_accepts(unit: Path) -> None:
    program, *args = exec_start(unit)
    assert program == INSTALLED
    done = run_presswatch(*args, "--help")  # options it does not know would be exit 2
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_a_unit_passes_systemd_analyze_verify(unit: Path, tmp_path: Path) -> None:
    """As installed, but with ExecStart on this checkout's presswatch (verify wants the program there);
    a template is verified as its instance 1. Warnings (an unknown key, a bad value) fail too."""
    if shutil.which("systemd-analyze") is None:  # under CI=true a failure, not a skip
        _service_unavailable("systemd-analyze is not installed (Debian and Ubuntu: the systemd package)")
    if not CONSOLE_SCRIPT.exists():
        _service_unavailable("needs the installed presswatch script to point ExecStart at")
    text = unit.read_text(encoding="utf-8")
    assert INSTALLED in text
    copy = tmp_path / unit.name.replace("@.service", "@1.service")
    copy.write_text(text.replace(INSTALLED, str(CONSOLE_SCRIPT)), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)], capture_output=True, text=True,
                          timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
