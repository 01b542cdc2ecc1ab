"""A child started by a parent that is already gone exits at once instead of living on as an orphan."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.e2e.helpers import REPO

CHILD = "import sys; from crawler.processes import die_with_parent; die_with_parent(int(sys.argv[1])); print('running')"


def run_child(parent_pid: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CHILD, str(parent_pid)], capture_output=True, text=True, cwd=REPO,
                          timeout=60)


def test_a_child_of_a_living_parent_runs_on() -> None:
    result = run_child(os.getpid())
    assert (result.returncode, result.stdout) == (0, "running\n")


def test_a_child_whose_parent_is_not_the_one_that_started_it_exits_at_once() -> None:
    # As when the parent died while the child was starting: the child was re-parented.
    result = run_child(os.getpid() + 1_000_000)
    assert (result.returncode, result.stdout) == (0, "")
