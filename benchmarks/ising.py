"""Can an RBM learn the 2-D Ising model? Monte Carlo observables against those of RBMs trained on them.

    python benchmarks/ising.py [--L 8] [--temperatures T ...] [--hidden H ...] [--samples N]
                               [--epochs E] [--k K] [--burn-in B] [--seed S] [--device cpu|cuda] [--save]

After Torlai & Melko (2016), "Learning thermodynamics with Boltzmann machines", and GTorlai's
CDL_RBM_Tutorial. For each temperature T:

1. Monte Carlo: ``--samples`` training configurations of the L x L Ising model (``ising.sample``:
   checkerboard heat-bath sweeps plus Wolff cluster flips near T_c, 100 steps of burn-in, one
   sample every 10 steps), a separate validation set (a fifth as many, another seed) and a
   separate scoring set (``--samples`` configurations, a third seed). The Monte Carlo row reports
   the four observables (``ising.observables``: energy and |m| per spin, specific heat and
   susceptibility per spin) of the scoring set.
2. For each hidden-unit count H, an RBM with L*L 0/1 visible units (``ising.to_binary``) is trained
   on the training set by PCD-k (``--k``, default 5; 100 persistent chains, batches of 100, SGD
   with learning rate 0.01 and momentum 0.5, ``--epochs`` epochs), visible biases started at the
   data's base rates.
3. Model selection uses the validation set only: every tenth of the run the mean held-out
   log-likelihood is measured (exactly when H <= 20, by enumerating the hidden layer; otherwise by
   annealed importance sampling, 200 chains x 1000 steps) and the checkpoint with the highest value
   is kept (``ising_rbm.fit``); the observables are never used to choose a checkpoint. The recipe
   came from a short exploration at T = 2.269, 64 hidden units, 10,000 samples, judged on AIS
   held-out log-likelihood: PCD-5 at learning rate 0.01-0.02 reached about -19 nats in 100 epochs,
   PCD-1 at 0.01 -18.5 in 300, CD-10 at 0.01 -23.5 in 50, PCD-1 at 0.05 and Adam were unstable.
   That exploration printed the observables too, so the choice was not blind to them.
4. ``--samples`` configurations are drawn from each RBM by block Gibbs sampling: 500 chains from
   random states, ``--burn-in`` Gibbs steps (default 20,000), then one sample every 20 steps
   (``ising_rbm.sample_spins``), and the same four observables are reported. An RBM's own Gibbs chain
   mixes slowly: for a 64-hidden RBM at T_c the energy of its samples still drifted from -1.24 after
   2,000 steps to -1.35 after 10,000 and stayed within 0.03 of that up to 50,000.

Output: one JSON object per line (``source`` "monte carlo" or "rbm", ``L``, ``temperature``,
``n_hidden`` (null for Monte Carlo), the four observables, and for RBMs the validation
log-likelihood, the epoch kept and the training seconds), then a markdown table with each RBM's
relative error against the Monte Carlo row. ``--save`` merges the rows into results/ising.jsonl
(replacing earlier rows of the same L, temperature, source, n_hidden, samples and epochs) and appends this run's
table, with its machine, command and run time, to results/ising.md.
Anchor (GTorlai/CDL_RBM_Tutorial, L = 8, T = 2.269): Monte Carlo E -1.4924, |m| 0.7777, C 1.1495,
chi 1.2071; its RBM with 64 hidden units -1.4691, 0.7608, 1.2114, 1.3423 (1.6%, 2.2%, 5.4%, 11.2%).
The sample averages carry statistical error (C and chi from 10,000 samples: a few per cent).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from datetime import date
from pathlib import Path

import torch

from rbm_helpers import ising, ising_rbm

RESULTS = Path(__file__).resolve().parent / "results"
OBSERVABLES = ("energy", "magnetization", "specific_heat", "susceptibility")
ANCHOR = {"monte carlo": (-1.4924, 0.7777, 1.1495, 1.2071), "rbm 64": (-1.4691, 0.7608, 1.2114, 1.3423)}


def monte_carlo(L: int, temperature: float, n_samples: int, seed: int) -> dict[str, torch.Tensor]:
    """Training, validation and scoring sets of Monte Carlo configurations, independently seeded."""
    return {
        "train": ising.sample(L, temperature, n_samples, seed=seed),
        "validation": ising.sample(L, temperature, max(n_samples // 5, 100), seed=seed + 1),
        "score": ising.sample(L, temperature, n_samples, seed=seed + 2),
    }


def rounded(values: dict[str, float]) -> dict[str, float]:
    return {key: round(values[key], 4) for key in OBSERVABLES}


def run(L: int, temperatures: list[float], hidden: list[int], n_samples: int, epochs: int, k: int, seed: int,
        device: str | None, learning_rate: float = 0.01, log=print, burn_in: int = 20_000) -> list[dict]:
    """Every row of the benchmark, in order: per temperature, Monte Carlo then one RBM per hidden-unit count."""
    rows = []
    for temperature in temperatures:
        sets = monte_carlo(L, temperature, n_samples, seed)
        row = {"source": "monte carlo", "L": L, "temperature": temperature, "n_hidden": None,
               **rounded(ising.observables(sets["score"], temperature)), "n_samples": n_samples, "epochs": epochs}
        rows.append(row)
        log(json.dumps(row))
        for n_hidden in hidden:
            started = time.perf_counter()
            rbm, history = ising_rbm.fit(sets["train"], n_hidden, validation=sets["validation"], epochs=epochs,
                                         check_every=max(epochs // 10, 1), method="pcd", k=k,
                                         learning_rate=learning_rate, seed=seed, device=device)
            seconds = time.perf_counter() - started
            spins = ising_rbm.sample_spins(rbm, n_samples, burn_in=burn_in, thinning=20, seed=seed)
            best = history.loc[history.validation_log_likelihood.idxmax()]
            row = {"source": "rbm", "L": L, "temperature": temperature, "n_hidden": n_hidden,
                   **rounded(ising.observables(spins, temperature)), "n_samples": n_samples,
                   "validation_log_likelihood": round(float(best.validation_log_likelihood), 3),
                   "epoch_kept": int(best.epoch), "epochs": epochs, "k": k, "burn_in": burn_in, "train_seconds": round(seconds, 1)}
            rows.append(row)
            log(json.dumps(row))
    return rows


def markdown(rows: list[dict]) -> str:
    """One line per row; RBM rows also give the relative error of each observable against Monte Carlo."""
    lines = ["| T | source | hidden | E | abs(m) | C | chi | errors E / abs(m) / C / chi | epoch kept |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    reference = {}
    for r in rows:
        values = " | ".join(f"{r[key]:.4f}" for key in OBSERVABLES)
        if r["source"] == "monte carlo":
            reference[(r["L"], r["temperature"])] = r
            lines.append(f"| {r['temperature']} | Monte Carlo | | {values} | | |")
        else:
            mc = reference[(r["L"], r["temperature"])]
            errors = " / ".join(f"{100 * ising_rbm.relative_error(r[key], mc[key]):.1f}%" for key in OBSERVABLES)
            lines.append(f"| {r['temperature']} | RBM | {r['n_hidden']} | {values} | {errors} | {r['epoch_kept']} |")
    return "\n".join(lines)


def save(rows: list[dict], header: list[str]) -> None:
    """Merge ``rows`` into results/ising.jsonl (same key replaced) and append a section to results/ising.md."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "ising.jsonl"
    key = lambda r: (r["L"], r["temperature"], r["source"], r["n_hidden"], r["n_samples"], r.get("epochs"))  # noqa: E731
    new = {key(r) for r in rows}
    old = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    merged = [r for r in old if key(r) not in new] + rows
    merged.sort(key=lambda r: (r["L"], r["n_samples"], r["epochs"], r["temperature"], r["source"] != "monte carlo",
                               r["n_hidden"] or 0))
    path.write_text("".join(json.dumps(r) + "\n" for r in merged))
    md = RESULTS / "ising.md"
    intro = "# Ising benchmark: RBMs against Monte Carlo\n\nOne section per saved run, newest last. " \
            "Errors are relative to the Monte Carlo row of the same run.\n"
    text = md.read_text() if md.exists() else intro
    md.write_text(text.rstrip("\n") + "\n\n" + "\n".join(header) + "\n\n" + markdown(rows) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--L", type=int, default=8)
    parser.add_argument("--temperatures", type=float, nargs="+", default=[1.5, 2.0, 2.269, 2.6, 3.5])
    parser.add_argument("--hidden", type=int, nargs="+", default=[4, 16, 64])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--burn-in", type=int, default=20_000, help="Gibbs steps before an RBM's first sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: on a busy 2-core machine one thread trained 6x faster than two)")
    parser.add_argument("--save", action="store_true", help="write results/ising.jsonl and results/ising.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    command = "python benchmarks/ising.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    load_before, started = os.getloadavg()[0], time.perf_counter()
    device = None if args.device == "cpu" else args.device
    rows = run(args.L, args.temperatures, args.hidden, args.samples, args.epochs, args.k, args.seed, device,
               args.learning_rate, burn_in=args.burn_in)
    seconds = time.perf_counter() - started
    print()
    print(markdown(rows))
    print(f"\n# {seconds:.0f} s", file=sys.stderr)
    if args.save:
        from speed import cpu_name  # benchmarks/speed.py, next to this file

        header = [
            f"## L = {args.L}, {args.samples} samples, PCD-{args.k}, {args.epochs} epochs, "
            f"RBM burn-in {args.burn_in} ({date.today()})",
            "",
            f"- command: `{command}`",
            f"- machine: {os.cpu_count()} cores ({cpu_name()}), torch {torch.__version__}, {args.threads} thread(s), "
            f"device {args.device}; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
            "(a shared machine: times are noisy)",
            f"- run time: {seconds / 60:.1f} minutes",
        ]
        save(rows, header)
        print(f"wrote {RESULTS / 'ising.jsonl'} and {RESULTS / 'ising.md'}", file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
