"""What the RBM of notebook 07 does on images, measured: AIS, log-likelihoods, features, anomalies, mixing.

    python benchmarks/images.py [--seeds 3] [--quick] [--save]

Every case uses scikit-learn's 1,797 8x8 digits (offline), binarized at 0.5 (gray levels for the
feature case), split 80/20 stratified with seed 0, and the recipes of notebook 07:

1. ``ais-vs-exact``: RBMs with 16 and 20 hidden units (10 epochs of CD-1) whose log Z is computed
   exactly by enumerating the hidden states; AIS with 100 chains and 100 / 1,000 / 10,000 steps,
   over ``--seeds`` AIS seeds: error (AIS - exact) and seconds, and the seconds of the exact sum.
2. ``log-likelihood``: 100 hidden units, 40 epochs, batches of 20, learning rate 0.1, momentum 0.5:
   CD-1, CD-10, PCD-1 with a fixed rate (20 chains) and PCD-1 with 100 chains and a rate falling
   linearly to 0; test log-likelihood by AIS (100 chains, 1,000 and 10,000 steps), test
   reconstruction error, training seconds.
3. ``features``: logistic regression (C = 1 and C = 100) on raw gray levels, on our
   ``RBMTransformer`` (100 units, CD-1, 20 epochs) and on scikit-learn's ``BernoulliRBM``
   (100 units, 20 epochs), over ``--seeds`` RBM seeds: test accuracy.
4. ``anomaly``: the decaying-rate PCD recipe (20 epochs) on the digits 0-4; free energy as the
   score; ROC AUC of held-out 5-9 and of held-out 0-4 with 10% of pixels flipped, against held-out 0-4.
5. ``mixing``: 10 Gibbs chains from noise for 1,000 steps, labelled every 10 steps by logistic
   regression: digit classes visited per chain and share of label changes, for the fixed-rate PCD
   model with Gibbs sampling and with parallel tempering (5 temperatures, beta down to 0.5), and
   for the decaying-rate model with Gibbs sampling.

Output: one JSON object per line, then a markdown table; ``--save`` writes results/images.jsonl and
results/images.md with the machine and the command. Everything but the seconds is seeded. One thread.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from rbm_helpers import RBM, ais, exact, reconstruction_error, train
from rbm_helpers.data.images import load_digits, split_images
from rbm_helpers.images import classes_visited, record_chains
from rbm_helpers.samplers import ParallelTempering, geometric_betas
from rbm_helpers.sklearn import RBMTransformer

RESULTS = Path(__file__).resolve().parent / "results"
N_HIDDEN, EPOCHS, BATCH = 100, 40, 20


def data():
    binary = split_images(load_digits(), test_fraction=0.2, seed=0)
    gray = split_images(load_digits(binarize=None), test_fraction=0.2, seed=0)
    return binary, gray


def trained(x, method: str, epochs: int = EPOCHS, n_hidden: int = N_HIDDEN, k: int = 1) -> tuple[RBM, float]:
    """A binary RBM trained by one of the notebook's recipes; (model, seconds)."""
    model = RBM(x.shape[1], n_hidden, seed=0)
    model.init_visible_bias(x)
    started = time.perf_counter()
    if method == "pcd-decay":
        optimizer = torch.optim.SGD(model.parameter_groups(), lr=0.1, momentum=0.5)
        decay = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 1 - epoch / epochs)
        train(model, x, epochs=epochs, batch_size=BATCH, method="pcd", n_chains=100, optimizer=optimizer,
              callbacks=[lambda m, r: decay.step()], seed=0, progress=False, monitor=False)
    else:
        train(model, x, epochs=epochs, batch_size=BATCH, learning_rate=0.1, momentum=0.5, k=k, method=method,
              seed=0, progress=False, monitor=False)
    return model, time.perf_counter() - started


def ais_vs_exact(x, seeds: int, quick: bool) -> list[dict]:
    rows = []
    for n_hidden in (16,) if quick else (16, 20):
        model, _ = trained(x, "cd", epochs=10, n_hidden=n_hidden)
        started = time.perf_counter()
        truth = exact.log_partition(model).item()
        exact_s = time.perf_counter() - started
        for steps in (100, 1000) if quick else (100, 1000, 10000):
            errors, seconds, covered = [], [], 0
            for seed in range(seeds):
                started = time.perf_counter()
                estimate = ais.log_partition(model, chains=100, steps=steps, seed=seed, data=x)
                seconds.append(time.perf_counter() - started)
                errors.append(estimate.log_z - truth)
                covered += estimate.low <= truth <= estimate.high
            rows.append({"case": "ais-vs-exact", "n_hidden": n_hidden, "steps": steps, "chains": 100, "exact_log_z": round(truth, 4),
                         "mean_error": round(statistics.mean(errors), 4), "max_abs_error": round(max(map(abs, errors)), 4),
                         "covered": f"{covered}/{seeds}", "ais_s": round(min(seconds), 3), "exact_s": round(exact_s, 3)})
    return rows


def log_likelihoods(x_train, x_test, quick: bool) -> tuple[list[dict], dict]:
    rows, models = [], {}
    for name, method, k in [("CD-1", "cd", 1), ("CD-10", "cd", 10), ("PCD-1 fixed rate", "pcd", 1), ("PCD-1 decaying rate", "pcd-decay", 1)]:
        model, seconds = trained(x_train, method, k=k)
        models[name] = model
        row = {"case": "log-likelihood", "model": name, "train_s": round(seconds, 2),
               "test_reconstruction_error": round(reconstruction_error(model, x_test), 4)}
        for steps in (1000,) if quick else (1000, 10000):
            estimate = ais.log_partition(model, chains=100, steps=steps, seed=0, data=x_train)
            row[f"test_ll_ais{steps}"] = round(ais.log_likelihood(model, x_test, estimate).mean().item(), 3)
            row[f"ais{steps}_pm3se"] = round((estimate.high - estimate.low) / 2, 3)
        rows.append(row)
    return rows, models


def features(gray_train, gray_test, seeds: int) -> list[dict]:
    X_train, X_test = gray_train.images.numpy(), gray_test.images.numpy()
    y_train, y_test = gray_train.labels.numpy(), gray_test.labels.numpy()
    extractors = {
        "raw pixels": lambda seed: "passthrough",
        "RBMTransformer (ours)": lambda seed: RBMTransformer(n_components=100, learning_rate=0.05, batch_size=20, n_iter=20,
                                                             momentum=0.5, method="cd", random_state=seed),
        "BernoulliRBM (scikit-learn)": lambda seed: BernoulliRBM(n_components=100, learning_rate=0.06, n_iter=20, random_state=seed),
    }
    rows = []
    for name, make in extractors.items():
        scores: dict[str, list[float]] = {"C=1": [], "C=100": []}
        for seed in range(1 if name == "raw pixels" else seeds):
            pipeline = Pipeline([("features", make(seed)), ("logistic", LogisticRegression(max_iter=2000))]).fit(X_train, y_train)
            scores["C=1"].append(pipeline.score(X_test, y_test))
            train_f, test_f = pipeline[:-1].transform(X_train), pipeline[:-1].transform(X_test)
            scores["C=100"].append(LogisticRegression(C=100, max_iter=2000).fit(train_f, y_train).score(test_f, y_test))
        row = {"case": "features", "features": name, "seeds": len(scores["C=1"])}
        for c, values in scores.items():
            row[f"accuracy_{c}"] = round(statistics.mean(values), 4)
            row[f"accuracy_{c}_std"] = round(statistics.stdev(values), 4) if len(values) > 1 else 0.0
        rows.append(row)
    return rows


def anomaly(train_set, test_set) -> dict:
    detector, _ = trained(train_set.images[train_set.labels < 5], "pcd-decay", epochs=EPOCHS // 2)
    normal, unseen = test_set.images[test_set.labels < 5], test_set.images[test_set.labels >= 5]
    flip = torch.rand(normal.shape, generator=torch.Generator().manual_seed(4)) < 0.1
    corrupted = torch.where(flip, 1 - normal, normal)
    score = lambda images: detector.free_energy(images).numpy()

    def auc(odd):
        return roc_auc_score(np.r_[np.zeros(len(normal)), np.ones(len(odd))], np.r_[score(normal), score(odd)])

    return {"case": "anomaly", "auc_unseen_classes": round(auc(unseen), 4), "auc_corrupted_10pct": round(auc(corrupted), 4)}


def mixing(models: dict, train_set) -> list[dict]:
    x = train_set.images
    classifier = LogisticRegression(max_iter=1000).fit(x.numpy(), train_set.labels.numpy())
    start = (torch.rand(10, x.shape[1], generator=torch.Generator().manual_seed(1)) < 0.5).float()
    rows = []
    for name, model_name, tempered in [("Gibbs", "PCD-1 fixed rate", False), ("parallel tempering x5", "PCD-1 fixed rate", True),
                                       ("Gibbs", "PCD-1 decaying rate", False)]:
        model = models[model_name]
        sampler = ParallelTempering(geometric_betas(5, smallest=0.5), start) if tempered else None
        started = time.perf_counter()
        chains = record_chains(model, start, 1000, every=10, sampler=sampler, generator=torch.Generator().manual_seed(2))
        seconds = time.perf_counter() - started
        labels = classifier.predict(chains.reshape(-1, x.shape[1]).numpy()).reshape(chains.shape[:2])
        rows.append({"case": "mixing", "model": model_name, "sampler": name,
                     "classes_per_chain_per_1000_steps": round(float(classes_visited(labels).mean()), 2),
                     "label_change_share": round(float((labels[1:] != labels[:-1]).mean()), 3), "seconds": round(seconds, 2)})
    return rows


def markdown(rows: list[dict]) -> str:
    out = ["## AIS against exact log Z (100 chains)", "",
           "| hidden units | AIS steps | exact log Z | mean error | max abs error | ±3 s.e. covers truth | AIS s | exact s |",
           "| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"]
    out += [f"| {r['n_hidden']} | {r['steps']} | {r['exact_log_z']:.3f} | {r['mean_error']:+.4f} | {r['max_abs_error']:.4f} | "
            f"{r['covered']} | {r['ais_s']:.2f} | {r['exact_s']:.2f} |" for r in rows if r["case"] == "ais-vs-exact"]
    ll = [r for r in rows if r["case"] == "log-likelihood"]
    steps = [k for k in ll[0] if k.startswith("test_ll_ais")] if ll else []
    out += ["", "## Test log-likelihood (nats per image, AIS) and reconstruction error", "",
            "| model | " + " | ".join(f"test LL, AIS {s[11:]} steps" for s in steps) + " | reconstruction error | train s |",
            "| --- |" + " ---: |" * (len(steps) + 2)]
    out += [f"| {r['model']} | " + " | ".join(f"{r[s]:.3f} ± {r['ais' + s[11:] + '_pm3se']:.3f}" for s in steps)
            + f" | {r['test_reconstruction_error']:.4f} | {r['train_s']:.1f} |" for r in ll]
    out += ["", "## Features for logistic regression (test accuracy, mean ± std over RBM seeds)", "",
            "| features | seeds | C = 1 | C = 100 |", "| --- | ---: | ---: | ---: |"]
    out += [f"| {r['features']} | {r['seeds']} | {r['accuracy_C=1']:.3f} ± {r['accuracy_C=1_std']:.3f} | "
            f"{r['accuracy_C=100']:.3f} ± {r['accuracy_C=100_std']:.3f} |" for r in rows if r["case"] == "features"]
    for r in rows:
        if r["case"] == "anomaly":
            out += ["", "## Anomaly detection (free energy, model trained on digits 0-4)", "",
                    f"ROC AUC: unseen classes 5-9 {r['auc_unseen_classes']:.3f}; 0-4 with 10% of pixels flipped "
                    f"{r['auc_corrupted_10pct']:.3f}."]
    out += ["", "## Mixing (10 chains from noise, 1,000 steps, labelled every 10 steps)", "",
            "| model | sampler | classes visited per chain | share of label changes | seconds |", "| --- | --- | ---: | ---: | ---: |"]
    out += [f"| {r['model']} | {r['sampler']} | {r['classes_per_chain_per_1000_steps']:.1f} | {r['label_change_share']:.3f} | "
            f"{r['seconds']:.1f} |" for r in rows if r["case"] == "mixing"]
    return "\n".join(out)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as file:
            return next(line.split(":", 1)[1].strip() for line in file if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="AIS seeds (case 1) and RBM seeds (case 3)")
    parser.add_argument("--quick", action="store_true", help="fewer AIS settings (no 10,000-step runs), one seed")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/images.jsonl and images.md")
    args = parser.parse_args(argv)
    command = "python benchmarks/images.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    seeds = 1 if args.quick else args.seeds
    torch.set_num_threads(1)
    threadpool_limits(1)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    (train_set, test_set), (gray_train, gray_test) = data()
    setting = (f"scikit-learn digits ({len(train_set.images)} train / {len(test_set.images)} test, 8x8); torch {torch.__version__}, "
               f"1 thread, {os.cpu_count()} cores ({cpu_name()}); {date.today()}")
    print(f"# {setting}", file=sys.stderr)
    rows = ais_vs_exact(train_set.images, seeds, args.quick)
    ll_rows, models = log_likelihoods(train_set.images, test_set.images, args.quick)
    rows += ll_rows
    rows += features(gray_train, gray_test, seeds)
    rows.append(anomaly(train_set, test_set))
    rows += mixing(models, train_set)
    for r in rows:
        print(json.dumps(r), flush=True)
    total = time.perf_counter() - started
    print()
    print(markdown(rows))
    if args.save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "images.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        header = [
            "# Images benchmark (notebook 07)",
            "",
            f"- setting: {setting}",
            f"- command: `{command}`; {total:.0f} s in all; load average {load_before:.1f} before, "
            f"{os.getloadavg()[0]:.1f} after (other work on the machine slows the seconds, not the other numbers)",
            "",
        ]
        (RESULTS / "images.md").write_text("\n".join(header) + "\n" + markdown(rows) + "\n")
        print(f"wrote {RESULTS / 'images.jsonl'} and {RESULTS / 'images.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
