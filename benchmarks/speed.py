"""Speed of rbm_helpers' training loop against its anchors, measured in one process.

    python benchmarks/speed.py [--repeats 3] [--quick] [--device cpu|cuda|auto] [--save]

Cases (each on the MovieLens 100K fold u1 training ratings, 943 users x 1,682 movies; the
synthetic stand-in when ml-100k cannot be had, said in the output):

1. ``seed-cd10``: the seed article's loop exactly as its code trains (n_hidden 100, batch 100,
   CD-10, 10 epochs; liked / disliked / unrated), against ``rbm_helpers.train`` with the same
   configuration (which also visits the seed's skipped last batch).
2. ``sklearn-cd1`` / ``sklearn-pcd1``: CD-1 and PCD-1 for 10 epochs against scikit-learn's
   ``BernoulliRBM`` (PCD-1 with 100 persistent chains) on the same matrix with unrated as 0
   (BernoulliRBM has no missing values), float32, same sizes and batch.
3. ``matmul-fraction``: the GFLOP/s of our training loop (case 1), counting every product as
   dense, as a fraction of plain ``torch.mm`` throughput at the same shapes (the hidden layer's
   products run sparse over rated movies, so this is time against the dense ceiling).
4. ``peak-memory``: the peak resident memory of each training run, measured in a fresh
   subprocess, above that of a subprocess which only loads the data.

Each time is the min (and the median) over ``--repeats`` runs, ours and the anchor taken in
turns so that a busy machine slows both alike; ``speedup = anchor_s / ours_s``.
Output: one JSON object per line (``case, ours_s, anchor, anchor_s, speedup`` and extras), then
a markdown table. Targets on 2 CPU cores: seed-cd10 at least 4x, CD-1 / PCD-1 at least 2x.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import torch

from rbm_helpers import RBM, train
from rbm_helpers.data import DataUnavailableError, RatingsIndex, load_fold, load_movielens, holdout_split, ratings_matrix
from rbm_helpers.seed_recipe import train_seed_recipe

N_HIDDEN, BATCH, EPOCHS = 100, 100, 10
RESULTS = Path(__file__).resolve().parent / "results"


def load_matrix() -> tuple[torch.Tensor, str]:
    """The u1 training matrix (1 liked, 0 disliked, -1 unrated) and the data set's name."""
    try:
        train_ratings, test_ratings = load_fold("u1")
        name = "ml-100k u1.base"
    except DataUnavailableError:
        train_ratings, test_ratings = holdout_split(load_movielens("synthetic"), seed=0)
        name = "synthetic (ml-100k unavailable)"
    index = RatingsIndex.from_ratings(train_ratings, test_ratings)
    return ratings_matrix(train_ratings, index, binary=True), name


def interleaved(runs: list, repeats: int) -> list[list[float]]:
    """Times of each run, taken in turns (a, b, c, a, b, c, ...) so that a busy or cooling
    machine slows every contender alike; one list of ``repeats`` times per run."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeats):
        for run, record in zip(runs, times):
            record.extend(timed(run, 1))
    return times


def timed(run, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    return times


def ours(matrix: torch.Tensor, k: int, method: str, device: str | None = None, monitor: bool = True) -> None:
    """rbm_helpers.train at the anchor's configuration; ``monitor`` as the anchor reports a loss or not."""
    rbm = RBM(matrix.shape[1], N_HIDDEN, seed=0, device=device)
    train(rbm, matrix.to(rbm.device), epochs=EPOCHS, batch_size=BATCH, k=k, method=method,
          learning_rate=0.05, momentum=0.5, seed=0, progress=False, monitor=monitor)


def sklearn_rbm(matrix: torch.Tensor) -> None:
    from sklearn.neural_network import BernoulliRBM

    BernoulliRBM(n_components=N_HIDDEN, batch_size=BATCH, n_iter=EPOCHS, learning_rate=0.05,
                 random_state=0).fit(matrix.numpy())


def row(case: str, ours_times: list[float], anchor: str, anchor_times: list[float], **extra) -> dict:
    ours_s, anchor_s = min(ours_times), min(anchor_times)
    return {
        "case": case, "ours_s": round(ours_s, 4), "anchor": anchor, "anchor_s": round(anchor_s, 4),
        "speedup": round(anchor_s / ours_s, 2), "ours_median_s": round(statistics.median(ours_times), 4),
        "anchor_median_s": round(statistics.median(anchor_times), 4), **extra,
    }


def matmul_fraction(matrix: torch.Tensor, seconds: float, device: str | None) -> dict:
    """GFLOP/s of our CD-10 run (its matrix products only) against plain torch.mm at the same shapes."""
    n_users, n_items = matrix.shape
    batches = -(-n_users // BATCH)
    k = 10
    # Per batch: 1 + k + (k - 1) conditional products, and 4 for the two phases' statistics.
    products = 2 * k + 4
    flop = EPOCHS * batches * products * 2 * BATCH * n_items * N_HIDDEN
    dev = torch.device(device or "cpu")
    a = torch.rand(BATCH, n_items, device=dev)
    w = torch.rand(n_items, N_HIDDEN, device=dev)
    h = torch.rand(BATCH, N_HIDDEN, device=dev)
    n = 200

    def products_only() -> None:
        for _ in range(n // 2):
            torch.mm(a, w)
            torch.mm(h, w.T)

    best = min(timed(products_only, 5))
    ceiling = n * 2 * BATCH * n_items * N_HIDDEN / best / 1e9
    achieved = flop / seconds / 1e9
    return {"case": "matmul-fraction", "ours_gflops": round(achieved, 1), "matmul_gflops": round(ceiling, 1),
            "fraction": round(achieved / ceiling, 3)}


MEMORY_CHILD = """
import sys, torch
sys.path.insert(0, {here!r})
import speed

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])  # KiB

matrix, _ = speed.load_matrix()
speed.EPOCHS = 2
case = {case!r}
if case == "sklearn":
    import sklearn.neural_network
    matrix = matrix.clamp(min=0)
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
if case == "seed":
    speed.train_seed_recipe(matrix, n_hidden=speed.N_HIDDEN, batch_size=speed.BATCH, epochs=2, k=10)
elif case == "ours":
    speed.ours(matrix, 10, "cd")
elif case == "sklearn":
    speed.sklearn_rbm(matrix)
print(status("VmHWM") - before)
"""


def peak_memory_mib(case: str) -> float:
    """Peak resident memory a training run adds to a process that holds the data, in MiB (Linux).

    Measured in a fresh process: its peak (VmHWM) is reset just before training,
    and the resident size before training is subtracted.
    """
    import pathlib

    here = str(pathlib.Path(__file__).resolve().parent)
    code = MEMORY_CHILD.format(here=here, case=case)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def markdown(rows: list[dict]) -> str:
    lines = ["| case | ours (s) | anchor | anchor (s) | speedup |", "| --- | ---: | --- | ---: | ---: |"]
    for r in rows:
        if "speedup" in r:
            lines.append(f"| {r['case']} | {r['ours_s']:.3f} | {r['anchor']} | {r['anchor_s']:.3f} | {r['speedup']:.2f}x |")
    for r in rows:
        if r["case"] == "matmul-fraction":
            lines.append(f"\nOur CD-10 loop: {r['ours_gflops']} GFLOP/s in dense-equivalent matrix products "
                         f"({r['fraction']:.0%} of plain torch.mm at the same shapes, {r['matmul_gflops']} GFLOP/s). "
                         "The hidden layer's products run sparse over the rated movies, so this counts "
                         "the work they skip as done: read it as time against the dense ceiling.")
        if r["case"] == "peak-memory":
            lines.append(f"Peak memory a training run adds (MiB): ours {r['ours_mib']:.0f}, seed loop "
                         f"{r['seed_mib']:.0f}, scikit-learn {r['sklearn_mib']:.0f}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing (min and median reported)")
    parser.add_argument("--quick", action="store_true", help="one repeat, no memory subprocesses")
    parser.add_argument("--device", default=None, help="device for our runs (cpu, cuda, auto); anchors stay on the CPU")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/speed.jsonl and speed.md")
    args = parser.parse_args(argv)
    command = "python benchmarks/speed.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    load_before = os.getloadavg()[0]
    repeats = 1 if args.quick else args.repeats
    matrix, data_name = load_matrix()
    device = None if args.device in (None, "cpu") else args.device
    setting = (f"{data_name}; torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores "
               f"({cpu_name()}); device {RBM(2, 2, device=device).device}; {date.today()}")
    print(f"# {setting}", file=sys.stderr)
    rows = []

    seed_times, ours_cd10 = interleaved([
        lambda: train_seed_recipe(matrix, n_hidden=N_HIDDEN, batch_size=BATCH, epochs=EPOCHS, k=10),
        lambda: ours(matrix, 10, "cd", device),
    ], repeats)
    rows.append(row("seed-cd10", ours_cd10, "seed article loop", seed_times))

    try:
        import sklearn.neural_network  # noqa: F401  (imported before timing)
        dense = matrix.clamp(min=0)  # BernoulliRBM has no missing values: unrated counts as 0

        # BernoulliRBM computes no loss while fitting (verbose=0), so ours runs without monitors here;
        # the seed's loop prints a loss per epoch, so case 1 keeps ours.
        sk_times, cd1, pcd1 = interleaved([
            lambda: sklearn_rbm(dense),
            lambda: ours(dense, 1, "cd", device, monitor=False),
            lambda: ours(dense, 1, "pcd", device, monitor=False),
        ], repeats)
        rows.append(row("sklearn-cd1", cd1, "sklearn BernoulliRBM (PCD-1)", sk_times))
        rows.append(row("sklearn-pcd1", pcd1, "sklearn BernoulliRBM (PCD-1)", sk_times))
    except ImportError:
        print("# scikit-learn is not installed: pip install scikit-learn for the BernoulliRBM anchor", file=sys.stderr)

    rows.append(matmul_fraction(matrix, min(ours_cd10), device))
    if not args.quick:
        rows.append({"case": "peak-memory", "ours_mib": round(peak_memory_mib("ours"), 1),
                     "seed_mib": round(peak_memory_mib("seed"), 1), "sklearn_mib": round(peak_memory_mib("sklearn"), 1)})
    for r in rows:
        print(json.dumps(r))
    print()
    print(markdown(rows))
    if args.save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "speed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        header = [
            "# Speed benchmark",
            "",
            f"- setting: {setting}",
            f"- command: `{command}`; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
            "(other work on the machine slows every case)",
            f"- times: the fastest of {repeats} runs (medians in speed.jsonl); speedup = anchor / ours",
            "",
        ]
        (RESULTS / "speed.md").write_text("\n".join(header) + "\n" + markdown(rows) + "\n")
        print(f"wrote {RESULTS / 'speed.jsonl'} and {RESULTS / 'speed.md'}", file=sys.stderr)


def cpu_name() -> str:
    """The processor's model name (Linux), else what platform knows."""
    try:
        with open("/proc/cpuinfo") as file:
            return next(line.split(":", 1)[1].strip() for line in file if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


if __name__ == "__main__":
    main()
