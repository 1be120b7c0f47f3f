"""``python -m rbm_helpers train``: train a recommender of the series on MovieLens or synthetic data, at any size.

    python -m rbm_helpers train --data ml-1m --model movies-k5 --epochs 5 --test-fraction 0.1 --out m.pt
    python -m rbm_helpers train --data synthetic --users 162541 --items 59047 --ratings 25000095 \\
        --model movies-k5 --epochs 1 --out m.pt
    torchrun --nproc_per_node 2 -m rbm_helpers train ...   (the same flags; data-parallel)

A progress bar per epoch goes to stderr; the last line of stdout is one JSON
object with the data, the sizes, the model, the time per epoch, the peak
memory, the device, the number of processes and, with ``--test-fraction``,
the held-out RMSE (star models) and AUC. Only the first process writes.
Introduced with the command line's training at scale (README, "Training at scale").
"""
from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from pathlib import Path

import torch

from .data.checks import check_choice
from .data.matrices import RatingsIndex
from .data.movielens import DATASET_NAMES, load_movielens
from .data.splits import holdout_split
from .data.synthetic import make_synthetic
from .device import resolve_device
from .distributed import finish, init_from_environment
from .rating_scale import RatingScale
from .recommender import RECIPES, STAR_ALIASES, fit_entries, layout_entries, recipe_for

__all__ = ["add_train_arguments", "run_train"]


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``train`` (see the module docstring)."""
    parser.add_argument("--data", required=True, metavar="NAME", help=f"a data set: {', '.join(DATASET_NAMES)}")
    parser.add_argument("--users", type=int, default=None, help="synthetic only: number of users (default 943)")
    parser.add_argument("--items", type=int, default=None, help="synthetic only: number of movies (default 1682)")
    parser.add_argument("--ratings", type=int, default=None, help="synthetic only: number of ratings (default 100000)")
    parser.add_argument("--model", required=True, metavar="RECIPE", help=f"a recipe: {', '.join(list(RECIPES) + list(STAR_ALIASES))}")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default: the recipe's)")
    parser.add_argument("--test-fraction", type=float, default=0.0, help="hide this fraction of each user's ratings and score them")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, the data (synthetic) and training")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N, mps or auto (default)")
    parser.add_argument("--out", required=True, help="where to save the trained model (loadable with the package)")
    parser.add_argument("--data-dir", default=None, help="the cache folder (default: $RBM_HELPERS_DATA, ...)")


def run_train(arguments: argparse.Namespace) -> int:
    """``train``: load, split, train, score, save, and print one JSON line; returns the exit status."""
    try:
        settings = _checked(arguments)
    except ValueError as error:
        print(f"python -m rbm_helpers train: error: {error}", file=sys.stderr)
        return 2
    device = resolve_device(arguments.device)
    rank, world = init_from_environment(device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", torch.cuda.current_device())
    try:
        ratings = _load(arguments, settings)
        scale = RatingScale.of(ratings["rating"].to_numpy())
        recipe = recipe_for(arguments.model, scale)
        index = RatingsIndex.from_ratings(ratings)
        if arguments.test_fraction > 0:
            train_ratings, test_ratings = holdout_split(ratings, test_fraction=arguments.test_fraction, seed=arguments.seed)
        else:
            train_ratings, test_ratings = ratings, None
        n_ratings = len(ratings)
        del ratings
        rows = layout_entries(train_ratings, index, recipe, scale)
        del train_ratings  # from here on only the entries: memory O(ratings + parameters)
        started = time.perf_counter()
        recommender, history = fit_entries(rows, recipe, index=index, scale=scale, seed=arguments.seed, device=device,
                                           epochs=arguments.epochs, progress=rank == 0 and settings["progress"])
        result = {
            "data": arguments.data, "n_users": index.n_users, "n_items": index.n_items, "n_ratings": n_ratings,
            "model": arguments.model, "n_categories": recipe.n_categories or 2, "n_hidden": recipe.n_hidden,
            "epochs": len(history), "seconds_per_epoch": round(float(history["seconds"].mean()), 3) if len(history) else None,
            "train_seconds": round(time.perf_counter() - started, 3), "device": str(device), "world_size": world,
            "seed": arguments.seed, "test_fraction": arguments.test_fraction,
        }
        if test_ratings is not None and rank == 0:
            result.update({key: round(value, 4) for key, value in recommender.scores(test_ratings).items()})
        result["peak_memory_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        if device.type == "cuda":
            result["peak_gpu_memory_mib"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
        if rank == 0:
            recommender.model.save(arguments.out)
            result["out"] = str(arguments.out)
            print(json.dumps(result), flush=True)
    except ValueError as error:
        print(f"python -m rbm_helpers train: error: {error}", file=sys.stderr)
        return 2
    finally:
        finish()
    return 0


def _checked(arguments: argparse.Namespace) -> dict:
    """The flags checked before anything is loaded: the package's own messages."""
    check_choice(arguments.data, "--data", DATASET_NAMES)
    sizes = (arguments.users, arguments.items, arguments.ratings)
    if arguments.data != "synthetic" and any(size is not None for size in sizes):
        raise ValueError("--users, --items and --ratings are for --data synthetic only; a MovieLens set has its own sizes.")
    for flag, value in (("--users", arguments.users), ("--items", arguments.items), ("--ratings", arguments.ratings), ("--epochs", arguments.epochs)):
        if value is not None and value < 1:
            raise ValueError(f"{flag} must be a whole number >= 1; got {value}.")
    if not 0 <= arguments.test_fraction < 1 or math.isnan(arguments.test_fraction):
        raise ValueError(f"--test-fraction must be in [0, 1); got {arguments.test_fraction}.")
    if arguments.model not in RECIPES and arguments.model not in STAR_ALIASES:
        check_choice(arguments.model, "--model", tuple(RECIPES) + tuple(STAR_ALIASES))
    out = Path(arguments.out)
    if out.is_dir():
        raise ValueError(f"--out {out} is a folder; give a file name such as {out / 'model.pt'}.")
    if not out.parent.exists():
        raise ValueError(f"--out: the folder {out.parent} does not exist; create it first.")
    resolve_device(arguments.device)  # refuses a device torch cannot use, before the data is loaded
    return {"progress": True}


def _load(arguments: argparse.Namespace, settings: dict):
    """The ratings table of ``--data`` (synthetic: generated from ``--seed`` at the given sizes)."""
    if arguments.data == "synthetic":
        sizes = {"n_users": arguments.users or 943, "n_items": arguments.items or 1682, "n_ratings": arguments.ratings or 100_000}
        return make_synthetic(**sizes, seed=arguments.seed)[0]
    return load_movielens(arguments.data, arguments.data_dir)
