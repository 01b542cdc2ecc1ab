"""Extraction quality and speed on the DEV evaluation corpus.

    .venv/bin/python benchmarks/extraction.py [MANIFEST] [--scorer PATH] [--trafilatura]

Runs the shared scorer (``score.py`` next to the manifest's ``dev/`` folder) over the manifest
(default ``../shared/eval/dev/manifest.jsonl`` relative to the repository), driving
``presswatch parse --manifest -`` from the same virtualenv, and prints the scorer's figures.
With ``--trafilatura`` the scorer then runs ``benchmarks/trafilatura_batch.py`` (trafilatura
with metadata, one process) on the same corpus in the same sitting, and the last line is
the pages/s ratio. The exit status is the scorer's (presswatch's run).
"""
from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MANIFEST = REPO.parent / "shared" / "eval" / "dev" / "manifest.jsonl"


def parse_command() -> str:
    """The batch parse command of the presswatch installed beside this Python."""
    return f"{shlex.quote(str(Path(sys.executable).with_name('presswatch')))} parse --manifest -"


def trafilatura_command() -> str:
    """trafilatura behind the same batch interface, from this virtualenv."""
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(REPO / 'benchmarks' / 'trafilatura_batch.py'))}"


def score(scorer: Path, manifest: Path, command: str) -> tuple[int, str]:
    """Run the scorer on `command`, echo its output; (exit status, its last line)."""
    print(f"command: {command}", flush=True)
    done = subprocess.run([sys.executable, str(scorer), str(manifest), "--cmd", command],
                          cwd=REPO, capture_output=True, text=True)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    lines = done.stdout.strip().splitlines()
    return done.returncode, lines[-1] if lines else ""


def pages_per_second(summary: str) -> float | None:
    for field in summary.split():
        name, _, value = field.partition("=")
        if name == "pages_per_s":
            try:
                return float(value)
            except ValueError:
                return None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", nargs="?", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--scorer", type=Path, help="score.py (default: beside the corpus)")
    parser.add_argument("--trafilatura", action="store_true",
                        help="also score trafilatura (benchmarks/trafilatura_batch.py) in the same sitting")
    args = parser.parse_args(argv)
    manifest = args.manifest.resolve()
    scorer = args.scorer or manifest.parent.parent / "score.py"
    if not manifest.is_file() or not scorer.is_file():
        print(f"missing corpus or scorer: {manifest} / {scorer}", file=sys.stderr)
        return 2
    print(f"corpus: {manifest}", flush=True)
    status, ours = score(scorer, manifest, parse_command())
    if not args.trafilatura:
        return status
    _, theirs = score(scorer, manifest, trafilatura_command())
    mine, reference = pages_per_second(ours), pages_per_second(theirs)
    ratio = f"{mine / reference:.2f}x" if mine and reference else "n/a"
    print(f"\npresswatch: {ours}\ntrafilatura: {theirs}\npages_per_s presswatch/trafilatura = {ratio}")
    return status


if __name__ == "__main__":
    sys.exit(main())
