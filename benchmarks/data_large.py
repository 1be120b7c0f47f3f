"""Benchmark: synthetic data at MovieLens 25M's size, and reading the large MovieLens formats.

    python benchmarks/data_large.py                 # make_synthetic(162_541, 59_047, 25_000_095): seconds, peak memory
    python benchmarks/data_large.py --read PATH     # time and peak memory of reading a ratings.dat / ratings.csv

Each measurement runs in a fresh process so that its peak resident memory is its own.
Prints one JSON object per measurement.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

MEASURE = """
import json, resource, sys, time
from rbm_helpers.data import make_synthetic, movielens
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
if sys.argv[1] == "synthetic":
    ratings, movies = make_synthetic(162_541, 59_047, 25_000_095, seed=0, half_stars=sys.argv[2] == "half")
else:
    reader = movielens.read_ml10m_ratings if sys.argv[2].endswith(".dat") else movielens.read_latest_ratings
    ratings = reader(sys.argv[2])
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
print(json.dumps({"what": sys.argv[1:], "rows": len(ratings), "seconds": round(seconds, 1),
                  "peak_gib": round(peak / 2**20, 2), "peak_after_imports_gib": round((peak - before) / 2**20, 2)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--read", metavar="PATH", help="a ratings.dat (ml-10m layout) or ratings.csv to read instead")
    arguments = parser.parse_args()
    runs = [["read", arguments.read]] if arguments.read else [["synthetic", "whole"], ["synthetic", "half"]]
    for run in runs:
        subprocess.run([sys.executable, "-c", MEASURE, *run], check=True)


if __name__ == "__main__":
    main()
