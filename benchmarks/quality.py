"""Quality benchmark: every baseline and RBM of the series on the official ml-100k folds.

    python benchmarks/quality.py                    # folds u1..u5, every registered model
    python benchmarks/quality.py --quick            # fold u1 only (about 15 s)
    python benchmarks/quality.py --folds 1 2 --models "blend user+movie" "sane RBM (0/1)"
    python benchmarks/quality.py --save             # also write benchmarks/results/quality.{jsonl,md}

Prints one JSON object per (model, fold) as soon as it is measured, then a markdown table of
mean ± std over the folds for each kind of model:

- models of liked / disliked (``evaluation.MODELS``: the baselines and RBMs of notebook 05 and the
  K=2 softmax RBMs of notebook 06), with the fields
  ``model, kind, fold, mae_sampled, mae_threshold, auc, precision_at_10, seconds``;
- models of star ratings (``evaluation.RATING_MODELS``: global mean, BaselineOnly, the K=5 softmax
  RBMs and a labelled blend, notebook 06), with the fields ``model, kind, fold, rmse, mae, seconds``.

The models and the metrics come from ``rbm_helpers.evaluation`` -- the same functions notebooks 05
and 06 call, so the numbers agree with the notebooks' for the same folds and seed. Only
``seconds`` (training and prediction wall time, on one thread) changes from run to run. A model is
added to the benchmark by registering it in ``rbm_helpers.evaluation`` (``register_model`` or
``register_rating_model``), not here.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import torch

from rbm_helpers import evaluation
from rbm_helpers.data import DataUnavailableError

RESULTS = Path(__file__).resolve().parent / "results"
FIELDS = ("model", "kind", "fold", "mae_sampled", "mae_threshold", "auc", "precision_at_10", "seconds")
RATING_FIELDS = ("model", "kind", "fold", "rmse", "mae", "seconds")


def fold_name(value: str) -> str:
    """``"1"`` -> ``"u1"``; names such as ``"u3"`` or ``"ua"`` pass through."""
    return f"u{value}" if value.isdigit() else value


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", nargs="+", default=["1", "2", "3", "4", "5"],
                        help="fold numbers 1-5 or names u1..u5, ua, ub (default: 1 2 3 4 5)")
    parser.add_argument("--quick", action="store_true", help="fold u1 only")
    parser.add_argument("--models", nargs="+", default=None, metavar="NAME",
                        help=f"models to run (default: all): {', '.join([*evaluation.MODELS, *evaluation.RATING_MODELS])}")
    parser.add_argument("--seed", type=int, default=0, help="seed of every model and of the sampled MAE (default 0)")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/quality.jsonl and quality.md")
    arguments = parser.parse_args(argv)
    arguments.folds = ["u1"] if arguments.quick else [fold_name(f) for f in arguments.folds]
    known = [*evaluation.MODELS, *evaluation.RATING_MODELS]
    unknown = [m for m in arguments.models or [] if m not in known]
    if unknown:
        parser.error(f"unknown models {unknown}; known: {known}")
    chosen = known if arguments.models is None else arguments.models
    arguments.binary_models = [m for m in chosen if m in evaluation.MODELS]
    arguments.rating_models = [m for m in chosen if m in evaluation.RATING_MODELS]
    return arguments


def machine() -> str:
    """Cores, CPU, Python and torch versions, in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as file:
            cpu = next(line.split(":", 1)[1].strip() for line in file if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{os.cpu_count()} cores ({cpu}), {platform.system()}, Python {platform.python_version()}, "
            f"torch {torch.__version__} (models run on 1 thread)")


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    command = "python benchmarks/quality.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    rows = []

    def emit(row: dict) -> None:
        record = {field: row[field] for field in (RATING_FIELDS if "rmse" in row else FIELDS)}
        rows.append(record)
        print(json.dumps(record), flush=True)

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    tables = []
    try:
        folds = [evaluation.load_binary_fold(name) for name in arguments.folds]
        if arguments.binary_models:
            results = evaluation.evaluate(arguments.binary_models, folds, seed=arguments.seed, on_result=emit)
            tables.append(("Liked / disliked", evaluation.markdown_table(evaluation.summarize(results))))
        if arguments.rating_models:
            results = evaluation.evaluate_ratings(arguments.rating_models, folds, seed=arguments.seed, on_result=emit)
            tables.append(("Star ratings", evaluation.markdown_table(evaluation.summarize(results))))
    except DataUnavailableError as error:
        print(f"MovieLens 100K is needed for this benchmark and is not available:\n{error}", file=sys.stderr)
        return 2
    total = time.perf_counter() - started
    table = "\n\n".join(f"{title}:\n\n{text}" for title, text in tables)
    print()
    print(table)
    print(f"\n{len(rows)} rows in {total:.0f} s", file=sys.stderr)
    if arguments.save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "quality.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
        header = [
            "# Quality benchmark: ml-100k, liked = rating >= 3",
            "",
            f"- date: {datetime.date.today().isoformat()}",
            f"- machine: {machine()}",
            f"- command: `{command}` ({total:.0f} s in all; load average {load_before:.1f} before, "
            f"{os.getloadavg()[0]:.1f} after: other work on the machine inflates `seconds`)",
            f"- folds: {', '.join(arguments.folds)}; seed {arguments.seed}",
            "- metrics: `mae_sampled` (one Bernoulli sample per held-out pair, the seed article's test loss) and "
            "`mae_threshold` (p >= 0.5 means liked), both averaged per user; `auc` pooled over all held-out pairs; "
            "`precision_at_10` averaged over users; for star ratings, `rmse` and `mae` of the predicted rating, "
            "pooled over all held-out ratings; `seconds`: training and prediction on one thread (a blend reuses "
            "the RBM trained just before it).",
            "- models named \"conditional ... (knows asked pairs)\" are told which (user, movie) pairs are held out, "
            "as the paper's conditional RBM allows and the other models are not; their precision@10 is not comparable.",
            "- every row of these tables is computed by `rbm_helpers.evaluation.evaluate` (liked / disliked, as in "
            "notebook 05) or `evaluate_ratings` (stars, as in notebook 06); per-fold rows are in `quality.jsonl`.",
            "",
            "Mean ± standard deviation over the folds:",
            "",
        ]
        (RESULTS / "quality.md").write_text("\n".join(header) + "\n" + table + "\n")
        print(f"wrote {RESULTS / 'quality.jsonl'} and {RESULTS / 'quality.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
