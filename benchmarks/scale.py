"""Training at scale: epoch time and peak memory from MovieLens 100K to 25M sizes, one and two processes.

    python benchmarks/scale.py [--sizes ml-100k,ml-1m,ml-10m,ml-25m] [--model movies-k5] [--processes 1,2]
                               [--device cpu|cuda|auto] [--real] [--save]

Each case runs the package's own command line in a fresh process,
``python -m rbm_helpers train --data synthetic --users U --items I --ratings R --model M --epochs 1``
(under ``torchrun --nproc_per_node 2`` for two processes; gloo on 127.0.0.1), so that the
peak resident memory is that run's alone, and reads the JSON line it prints. Synthetic data at
the published sizes of each MovieLens set; ``--real`` adds the real data sets found in the cache.
Reported per case: seconds per epoch, microseconds per rating per epoch, peak memory (MiB, the
largest process), and the ratio of time per rating to that of the ML-1M size.
Targets on 2 CPU cores: an ML-25M-size epoch within 8 GiB; time per rating at ML-25M size
within 2x of ML-1M's. Results: JSON lines and markdown in benchmarks/results/scale.{jsonl,md}.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import torch

from rbm_helpers.data import dataset_status

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = {  # users, movies, ratings: the published sizes of each MovieLens set
    "ml-100k": (943, 1682, 100_000),
    "ml-1m": (6040, 3706, 1_000_209),
    "ml-10m": (69_878, 10_677, 10_000_054),
    "ml-25m": (162_541, 59_047, 25_000_095),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_case(data: str, sizes: tuple[int, int, int] | None, model: str, processes: int, device: str, threads: int) -> dict:
    """One training run in fresh processes; its JSON line plus the wall time and the command."""
    with tempfile.TemporaryDirectory() as folder:
        flags = ["train", "--data", data, "--model", model, "--epochs", "1", "--device", device, "--out", str(Path(folder) / "m.pt")]
        if sizes:
            flags[3:3] = ["--users", str(sizes[0]), "--items", str(sizes[1]), "--ratings", str(sizes[2])]
        if processes == 1:
            command = [sys.executable, "-m", "rbm_helpers", *flags]
        else:
            command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes), "--master_addr",
                       "127.0.0.1", "--master_port", str(free_port()), "-m", "rbm_helpers", *flags]
        environment = {**os.environ, "OMP_NUM_THREADS": str(threads or max(1, (os.cpu_count() or 2) // processes))}
        started = time.perf_counter()
        run = subprocess.run(command, capture_output=True, text=True, env=environment)
        wall = time.perf_counter() - started
    if run.returncode != 0:
        return {"data": data, "processes": processes, "error": run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "failed"}
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result.update(processes=processes, wall_seconds=round(wall, 1),
                  us_per_rating=round(1e6 * result["seconds_per_epoch"] / result["n_ratings"], 3),
                  command=shlex.join(["python" if part == sys.executable else part for part in command]))
    return result


def markdown(rows: list[dict], setting: str) -> str:
    reference = {r["processes"]: r["us_per_rating"] for r in rows if r.get("data") == "synthetic" and r.get("n_ratings") == SIZES["ml-1m"][2]}
    lines = ["# Scale benchmark", "", f"- setting: {setting}",
             "- each row: one epoch of `python -m rbm_helpers train` in fresh processes; memory is the largest process's peak RSS",
             "", "| data | users | movies | ratings | processes | device | s / epoch | µs / rating | vs ML-1M size | peak MiB |",
             "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['data']} | | | | {r['processes']} | | failed: {r['error']} | | | |")
            continue
        ratio = r["us_per_rating"] / reference[r["processes"]] if r["processes"] in reference else float("nan")
        lines.append(f"| {r['data']} | {r['n_users']:,} | {r['n_items']:,} | {r['n_ratings']:,} | {r['processes']} | {r['device']} | "
                     f"{r['seconds_per_epoch']:.1f} | {r['us_per_rating']:.2f} | {ratio:.2f}x | {r['peak_memory_mib']:,.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated: " + ", ".join(SIZES))
    parser.add_argument("--model", default="movies-k5")
    parser.add_argument("--processes", default="1,2", help="comma-separated process counts")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="threads per process (default: the cores shared out; 1 on a busy machine)")
    parser.add_argument("--real", action="store_true", help="also the real data sets found in the cache")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/scale.{jsonl,md}")
    args = parser.parse_args(argv)
    setting = (f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, device {args.device}, {date.today()}; "
               f"command: `python benchmarks/scale.py {' '.join(argv if argv is not None else sys.argv[1:])}`")
    print(f"# {setting}", file=sys.stderr)
    rows = []
    for processes in (int(p) for p in args.processes.split(",")):
        for name in args.sizes.split(","):
            rows.append(run_case("synthetic", SIZES[name], args.model, processes, args.device, args.threads))
            print(json.dumps(rows[-1]), flush=True)
            if args.real and dataset_status(name).ready:
                rows.append(run_case(name, None, args.model, processes, args.device, args.threads))
                print(json.dumps(rows[-1]), flush=True)
    table = markdown(rows, setting)
    print(table)
    if args.save:
        RESULTS.mkdir(exist_ok=True)
        with open(RESULTS / "scale.jsonl", "a") as out:
            for r in rows:
                out.write(json.dumps({**r, "setting": setting}) + "\n")
        (RESULTS / "scale.md").write_text(table)


if __name__ == "__main__":
    main()
