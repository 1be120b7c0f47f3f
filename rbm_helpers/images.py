"""Working with an RBM of images: grids of pictures, sampling with some pixels clamped, chains over time.

    from rbm_helpers.images import clamped_gibbs, image_grid, plot_images, record_chains
    grid = image_grid(rbm.weight.T, (8, 8), ncols=10)        # the weights as filters, one tile each
    sample, mean = clamped_gibbs(rbm, v, known, steps=200)   # inpainting: known pixels held fixed
    states = record_chains(rbm, start, steps=1000, every=10)  # Gibbs chains (or a sampler) over time

Introduced in notebook 07 (an RBM that dreams) and used again in notebook 08 (stacking RBMs).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch

from .model import RBM
from .validation import check_positive_int

__all__ = ["classes_visited", "clamped_gibbs", "image_grid", "plot_images", "record_chains"]


def image_grid(
    images: torch.Tensor, shape: tuple[int, int], *, ncols: int = 10, pad: int = 1, scale_each: bool = False
) -> np.ndarray:
    """Rows of pixels tiled into one 2-D array: ``ncols`` images per row, ``pad`` pixels of NaN between them.

    ``images`` is (n, height * width); ``shape`` is (height, width). With
    ``scale_each`` every tile is divided by its largest absolute value (for
    weights as filters, whose scales differ). NaN shows as the background
    in ``imshow``. Introduced in notebook 07 (an RBM that dreams).
    """
    images = torch.as_tensor(images).detach().cpu().double()
    height, width = (int(s) for s in shape)
    if images.dim() != 2 or images.shape[1] != height * width:
        raise ValueError(
            f"images must have shape (n, {height * width}) for images of shape {shape}; got {tuple(images.shape)}."
        )
    check_positive_int(ncols, "ncols")
    check_positive_int(pad, "pad", minimum=0)
    n = images.shape[0]
    if scale_each:
        images = images / images.abs().amax(1, keepdim=True).clamp(min=1e-12)
    ncols = min(ncols, max(n, 1))
    nrows = max(math.ceil(n / ncols), 1)
    grid = np.full((nrows * (height + pad) - pad, ncols * (width + pad) - pad), np.nan)
    for index in range(n):
        row, col = divmod(index, ncols)
        top, left = row * (height + pad), col * (width + pad)
        grid[top:top + height, left:left + width] = images[index].reshape(height, width).numpy()
    return grid


def plot_images(
    images: torch.Tensor,
    shape: tuple[int, int],
    *,
    ncols: int = 10,
    ax=None,
    title: str | None = None,
    filters: bool = False,
    row_labels: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
):
    """Show rows of pixels as a grid of small images; return the matplotlib Axes.

    ``filters=True`` scales each tile on its own and uses a diverging colour
    map (red positive, blue negative) for weights; otherwise grey levels,
    dark for 1. ``row_labels`` name the grid's rows on the left.
    Introduced in notebook 07 (an RBM that dreams).
    """
    import matplotlib.pyplot as plt

    grid = image_grid(images, shape, ncols=ncols, scale_each=filters)
    if ax is None:
        rows, cols = grid.shape
        _, ax = plt.subplots(figsize=figsize or (min(0.13 * cols, 12), min(0.13 * rows, 12) + 0.4))
    if filters:
        ax.imshow(grid, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    else:
        finite = grid[np.isfinite(grid)]
        low, high = (0.0, 1.0) if finite.size == 0 or (finite.min() >= 0 and finite.max() <= 1) else (finite.min(), finite.max())
        ax.imshow(grid, cmap="gray_r", vmin=low, vmax=high, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if row_labels is not None:
        height = int(shape[0])
        ax.set_yticks([i * (height + 1) + (height - 1) / 2 for i in range(len(row_labels))], list(row_labels))
        ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title)
    return ax


@torch.no_grad()
def clamped_gibbs(
    rbm: RBM,
    v: torch.Tensor,
    known: torch.Tensor,
    steps: int = 200,
    *,
    burn_in: int | None = None,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gibbs sampling of p(unknown pixels | known pixels): after every step the known pixels are put back.

    ``v`` (batch, n_visible) holds the known values where ``known`` is True
    and the chains' starting values elsewhere; ``known`` is a bool mask of
    shape (n_visible,) or (batch, n_visible). Each of ``steps`` rounds samples
    h ~ p(h | v), then v ~ p(v | h) for every unit, then clamps the known
    units again, so the chain samples the conditional distribution of the
    rest given them. Returns the last sample and the average of the samples
    after ``burn_in`` steps (default: half of them), an estimate of each
    unknown unit's conditional mean. The same "missing units" idea as the
    recommender's unrated movies, but here the missing units are sampled.
    Introduced in notebook 07 (inpainting).
    """
    check_positive_int(steps, "steps")
    burn_in = steps // 2 if burn_in is None else check_positive_int(burn_in, "burn_in", minimum=0)
    if burn_in >= steps:
        raise ValueError(f"burn_in must be smaller than steps ({steps}); got {burn_in}.")
    values, _ = rbm.encode(v, allow_missing=False)
    known = torch.as_tensor(known, dtype=torch.bool, device=values.device)
    if known.shape not in {values.shape, values.shape[1:]}:
        raise ValueError(f"known must be a bool mask of shape {tuple(values.shape[1:])} or {tuple(values.shape)}; got {tuple(known.shape)}.")
    clamp = values.clone()
    total = torch.zeros_like(values)
    generator = generator or rbm.generator
    for step in range(steps):
        sample, _ = rbm.gibbs_chain(values, 1, generator=generator)
        values = torch.where(known, clamp, sample)
        if step >= burn_in:
            total += values
    return rbm.decode(values), rbm.decode(total / (steps - burn_in))


@torch.no_grad()
def record_chains(
    rbm: RBM,
    start: torch.Tensor,
    steps: int,
    *,
    every: int = 1,
    sampler=None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Run chains from ``start`` for ``steps`` steps and keep their states every ``every`` steps.

    Without ``sampler`` each chain is plain block Gibbs sampling from its row
    of ``start``; with a sampler from ``rbm_helpers.samplers`` (e.g.
    ``ParallelTempering``, built on the same start) its ``advance`` moves the
    chains and the states at inverse temperature 1 are kept. Returns a tensor
    (steps // every, n_chains, n_visible). Introduced in notebook 07 (mixing).
    """
    check_positive_int(steps, "steps")
    check_positive_int(every, "every")
    values, _ = rbm.encode(start, allow_missing=False)
    generator = generator or rbm.generator
    kept = []
    for _ in range(steps // every):
        if sampler is None:
            values, _ = rbm.gibbs_chain(values, every, generator=generator)
        else:
            values = sampler.advance(rbm, every, generator)
        kept.append(rbm.decode(values))
    return torch.stack(kept)


def classes_visited(labels: np.ndarray | torch.Tensor) -> np.ndarray:
    """How many different labels each chain visits: ``labels`` is (records, chains); one count per chain.

    Introduced in notebook 07 (mixing: Gibbs against parallel tempering).
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"labels must be a 2-D array (records over time, chains); got shape {labels.shape}.")
    return np.array([len(np.unique(labels[:, chain])) for chain in range(labels.shape[1])])
