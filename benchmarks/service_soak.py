"""Service soak: `presswatch serve` runs one source back to back; does its memory stay flat?

    .venv/bin/python benchmarks/service_soak.py --quick     # 20 runs (CI)
    .venv/bin/python benchmarks/service_soak.py             # 100 runs
    .venv/bin/python benchmarks/service_soak.py --runs 300 --json out.json

Serves the bundled demo sites on 127.0.0.1, writes a config with their first source at
`interval = "1s"` (so runs follow each other as fast as they finish: the job never
overlaps itself), starts `presswatch serve` on a fresh SQLite archive and samples the
resident memory (VmRSS) of the service and its crawl workers (the whole process tree,
`benchmarks/proctree.py`) after each run's log line. The first run
archives the source; the rest are incremental (304s). Prints RSS after runs 1, 10, the
middle and the last, and the growth per 100 runs over the second half (a least-squares
fit), then stops the service with SIGTERM. It reports figures and never judges them.
"""
from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from presswatch.crawler.site_server import SiteServer  # noqa: E402

sys.path.insert(0, str(HERE))
from proctree import sample_tree  # noqa: E402

DEMO = REPO / "fixtures" / "demo"
PRESSWATCH = Path(sys.executable).with_name("presswatch")


def one_source_config(base_url: str) -> tuple[str, str]:
    """The demo config reduced to its first source, crawled every second; (toml, source name)."""
    text = (DEMO / "sources.toml").read_text(encoding="utf-8").replace("__BASE__", base_url)
    head, first, *_ = text.split("[[sources]]")
    first = first.replace('interval = "10m"', 'interval = "1s"')
    name = first.split('name = "', 1)[1].split('"', 1)[0]
    return f"{head}[[sources]]{first}", name


def rss_kb(pid: int) -> int:
    """Resident memory of the service and every process under it (its crawl workers), in KB."""
    sample = sample_tree(pid, with_pss=False)
    if sample is None:
        raise RuntimeError(f"the service (pid {pid}) is gone")
    return sample.rss_kb


def slope_per_100(samples: list[int]) -> float:
    """Least-squares growth of `samples` (KB, one per run) in MB per 100 runs."""
    n = len(samples)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(samples) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(samples))
    den = sum((x - mean_x) ** 2 for x in range(n))
    return num / den * 100 / 1024


def soak(runs: int, workdir: Path) -> dict[str, object]:
    with SiteServer(DEMO / "sites") as server:
        config_text, source = one_source_config(server.base_url)
        config = workdir / "sources.toml"
        config.write_text(config_text, encoding="utf-8")
        command = [str(PRESSWATCH), "serve", "--config", str(config), "--db", f"sqlite:///{workdir / 'soak.db'}"]
        service = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert service.stderr is not None
        samples: list[int] = []
        statuses: dict[str, int] = {}
        started = time.monotonic()
        try:
            for line in service.stderr:
                if f"source={source} status=" not in line:
                    continue
                status = line.split(" status=", 1)[1].split()[0]
                statuses[status] = statuses.get(status, 0) + 1
                samples.append(rss_kb(service.pid))
                if len(samples) % 10 == 0:
                    print(f"  {len(samples)}/{runs} runs, service tree RSS {samples[-1] / 1024:.1f} MB", file=sys.stderr)
                if len(samples) >= runs:
                    break
        finally:
            seconds = time.monotonic() - started
            service.send_signal(signal.SIGTERM)
            stop_started = time.monotonic()
            service.communicate(timeout=60)
            stop_seconds = time.monotonic() - stop_started
    if len(samples) < runs:
        raise SystemExit(f"service_soak: the service stopped after {len(samples)} runs (exit {service.returncode})")
    at = lambda run: round(samples[run - 1] / 1024, 1)  # noqa: E731
    return {
        "runs": runs,
        "statuses": statuses,
        "seconds": round(seconds, 1),
        "rss_mb_after_run": {1: at(1), 10: at(min(10, runs)), runs // 2: at(runs // 2), runs: at(runs)},
        "growth_mb_per_100_runs_second_half": round(slope_per_100(samples[runs // 2 :]), 2),
        "sigterm_exit": service.returncode,
        "sigterm_seconds": round(stop_seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="20 runs (CI)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    runs = 20 if args.quick else args.runs
    with tempfile.TemporaryDirectory(prefix="presswatch-soak-") as tmp:
        figures = soak(runs, Path(tmp))
    rss = figures["rss_mb_after_run"]
    assert isinstance(rss, dict)
    print(f"service soak: {runs} runs in {figures['seconds']} s, statuses {figures['statuses']}")
    print("service tree RSS (service and crawl workers) after run " + ", ".join(f"{run}: {mb} MB" for run, mb in rss.items()))
    print(f"growth over the second half: {figures['growth_mb_per_100_runs_second_half']} MB per 100 runs; "
          f"SIGTERM: exit {figures['sigterm_exit']} in {figures['sigterm_seconds']} s")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
