"""The seed article's RBM and training loop, reproduced as its code does it, quirks included.

The series starts from a beginner's article whose PyTorch RBM (the well-known
MovieLens recommender of a popular course) trains and reports a "loss". This
module redoes that recipe step for step, so that notebook 04 ("Loss curves and
monitoring") can run it side by side with the sane recipe of
``rbm_helpers.training`` and show what each quirk costs:

- weights ``W`` (n_hidden x n_visible) and biases ``a`` (1 x n_hidden),
  ``b`` (1 x n_visible) all drawn from N(0, 1), which saturates the sigmoids;
- an unrated movie's -1 enters x W^T as if it were a value;
- CD-10 with the update W += (v0^T p(h|v0) - vk^T p(h|vk))^T, b += sum(v0 - vk),
  a += sum(p(h|v0) - p(h|vk)): summed over the batch, no learning rate;
- the batch loop ``range(0, n_users - batch_size, batch_size)`` stops one
  batch early, so the last users are never trained on;
- the "loss" is one *sampled* reconstruction against the data.

It is deliberately plain torch with the seed's per-step operations
(``torch.bernoulli``, ``expand_as`` bias adds, boolean-mask assignment), not
optimised: it is also the speed anchor of the benchmark. The only addition
is a ``torch.Generator``, so that a seed fixes every draw without touching
torch's global random state.
"""
from __future__ import annotations

import time

import pandas as pd
import torch

from .metrics import check_binary_matrix

__all__ = ["SeedRBM", "seed_predict", "seed_test_loss", "train_seed_recipe"]


class SeedRBM:
    """The seed article's RBM: ``W`` (n_hidden, n_visible), ``a`` (1, n_hidden), ``b`` (1, n_visible), all N(0, 1).

    ``sample_h`` and ``sample_v`` return probabilities and a Bernoulli sample
    as the seed's do; ``update`` is the seed's ``train`` step. Missing
    visible units (-1) are *not* special here: they enter the products as -1.
    Introduced in notebook 04 ("Loss curves and monitoring").
    """

    def __init__(self, n_visible: int, n_hidden: int, *, generator: torch.Generator | None = None) -> None:
        self.generator = generator
        self.W = torch.randn(n_hidden, n_visible, generator=generator)
        self.a = torch.randn(1, n_hidden, generator=generator)
        self.b = torch.randn(1, n_visible, generator=generator)

    def sample_h(self, x: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """p(h = 1 | v) = sigmoid(x W^T + a) and a Bernoulli sample of it (the -1 of unrated movies included)."""
        wx = torch.mm(x, self.W.t())
        activation = wx + self.a.expand_as(wx)
        p_h_given_v = torch.sigmoid(activation)
        return p_h_given_v, torch.bernoulli(p_h_given_v, generator=generator or self.generator)

    def sample_v(self, y: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """p(v = 1 | h) = sigmoid(y W + b) and a Bernoulli sample of it, for every movie."""
        wy = torch.mm(y, self.W)
        activation = wy + self.b.expand_as(wy)
        p_v_given_h = torch.sigmoid(activation)
        return p_v_given_h, torch.bernoulli(p_v_given_h, generator=generator or self.generator)

    def update(self, v0: torch.Tensor, vk: torch.Tensor, ph0: torch.Tensor, phk: torch.Tensor) -> None:
        """The seed's step: add data minus model statistics, summed over the batch, with no learning rate."""
        self.W += (torch.mm(v0.t(), ph0) - torch.mm(vk.t(), phk)).t()
        self.b += torch.sum((v0 - vk), 0)
        self.a += torch.sum((ph0 - phk), 0)


def _check_positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
    return value


def _batch_starts(n_users: int, batch_size: int, skip_last_batch: bool) -> range:
    """The seed's ``range(0, n_users - batch_size, batch_size)``, or every batch."""
    starts = range(0, n_users - batch_size, batch_size) if skip_last_batch else range(0, n_users, batch_size)
    if len(starts) == 0:
        raise ValueError(
            f"train_matrix must have more than batch_size = {batch_size} users for the seed's loop, which "
            f"skips the last batch; got {n_users} users. Lower batch_size or pass skip_last_batch=False."
        )
    return starts


def train_seed_recipe(
    train_matrix: torch.Tensor,
    *,
    n_hidden: int = 100,
    batch_size: int = 100,
    epochs: int = 10,
    k: int = 10,
    seed: int = 0,
    skip_last_batch: bool = True,
) -> tuple[SeedRBM, pd.DataFrame]:
    """Train the seed article's RBM on ``train_matrix`` as its code does; return the model and its history.

    ``train_matrix`` is (n_users, n_movies) with 1 (liked), 0 (not liked) and
    -1 (unrated). For each epoch and each batch of ``batch_size`` users in order
    (no shuffling; the last batch skipped unless ``skip_last_batch=False``):
    ``k`` Gibbs steps from the data, putting the unrated -1 back after each
    step, then ``SeedRBM.update``. The history has one row per epoch with
    ``train_loss``, the seed's printed loss (mean |v0 - vk| over the batch's
    rated entries, averaged over batches), and ``seconds`` (the epoch's time).
    ``seed`` fixes the initial weights and every sample (float32, as the seed).
    Introduced in notebook 04 ("Loss curves and monitoring").
    """
    data = check_binary_matrix(train_matrix, "train_matrix").to(torch.float32)
    for value, name in ((n_hidden, "n_hidden"), (batch_size, "batch_size"), (epochs, "epochs"), (k, "k")):
        _check_positive_int(value, name)
    n_users, n_movies = data.shape
    starts = _batch_starts(n_users, batch_size, skip_last_batch)
    rbm = SeedRBM(n_movies, n_hidden, generator=torch.Generator().manual_seed(seed))
    history = []
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        train_loss = 0.0
        s = 0
        for id_user in starts:
            vk = data[id_user : id_user + batch_size]
            v0 = data[id_user : id_user + batch_size]
            ph0, _ = rbm.sample_h(v0)
            for _ in range(k):
                _, hk = rbm.sample_h(vk)
                _, vk = rbm.sample_v(hk)
                vk[v0 < 0] = v0[v0 < 0]
            phk, _ = rbm.sample_h(vk)
            rbm.update(v0, vk, ph0, phk)
            train_loss += torch.mean(torch.abs(v0[v0 >= 0] - vk[v0 >= 0])).item()
            s += 1
        history.append({"epoch": epoch, "train_loss": train_loss / s, "seconds": time.perf_counter() - started})
    return rbm, pd.DataFrame(history).set_index("epoch")


def seed_predict(rbm: SeedRBM, train_matrix: torch.Tensor, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The seed's prediction: one up-down pass v -> h (sampled) -> v from each user's training row.

    Returns ``(probabilities, sample)``, both (n_users, n_movies): p(v = 1 | h)
    for the sampled h, which is what the seed's ``sample_v`` computes (use it
    for AUC), and the Bernoulli sample of it that the seed compares with the
    test ratings. ``seed`` fixes both draws. Introduced in notebook 04.
    """
    data = check_binary_matrix(train_matrix, "train_matrix").to(torch.float32)
    if data.shape[1] != rbm.W.shape[1]:
        raise ValueError(f"train_matrix must have {rbm.W.shape[1]} columns (one per movie); got shape {tuple(data.shape)}.")
    generator = torch.Generator().manual_seed(seed)
    _, h = rbm.sample_h(data, generator)
    probabilities, sample = rbm.sample_v(h, generator)
    return probabilities, sample


def seed_test_loss(rbm: SeedRBM, train_matrix: torch.Tensor, test_matrix: torch.Tensor, *, seed: int = 0) -> float:
    """The seed's test loss: mean |test - sampled prediction| per user, over users with test ratings.

    The prediction is ``seed_predict`` from the training rows. The seed loops
    over users one at a time; one batched pass draws from the same
    distribution. Equal to ``metrics.mae_sampled`` of the probabilities, up to
    sampling noise. Introduced in notebook 04 ("Loss curves and monitoring").
    """
    test = check_binary_matrix(test_matrix, "test_matrix").to(torch.float32)
    _, sample = seed_predict(rbm, train_matrix, seed=seed)
    if test.shape != sample.shape:
        raise ValueError(f"test_matrix must have the shape of train_matrix {tuple(sample.shape)}; got {tuple(test.shape)}.")
    total, users = 0.0, 0
    for vt, v in zip(test, sample):
        if len(vt[vt >= 0]) > 0:
            total += torch.mean(torch.abs(vt[vt >= 0] - v[vt >= 0])).item()
            users += 1
    if users == 0:
        raise ValueError("test_matrix holds no test rating (every entry is -1); nothing to evaluate.")
    return total / users
