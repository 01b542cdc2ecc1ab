"""Extraction quality and speed on the DEV evaluation corpus.

    .venv/bin/python benchmarks/extraction.py [MANIFEST] [--scorer PATH]

Runs the shared scorer (``score.py`` next to the manifest's ``dev/`` folder) over the manifest
(default ``../shared/eval/dev/manifest.jsonl`` relative to the repository), driving
``presswatch parse --manifest -`` from the same virtualenv, and prints the scorer's figures.
The exit status is the scorer's.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", nargs="?", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--scorer", type=Path, help="score.py (default: beside the corpus)")
    args = parser.parse_args(argv)
    manifest = args.manifest.resolve()
    scorer = args.scorer or manifest.parent.parent / "score.py"
    if not manifest.is_file() or not scorer.is_file():
        print(f"missing corpus or scorer: {manifest} / {scorer}", file=sys.stderr)
        return 2
    command = parse_command()
    print(f"corpus: {manifest}\ncommand: {command}", flush=True)
    done = subprocess.run([sys.executable, str(scorer), str(manifest), "--cmd", command],
                          cwd=REPO)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
