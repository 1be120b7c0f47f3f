"""rbm_helpers: the code behind the notebook series on restricted Boltzmann machines.

One module per idea, in the order the notebooks introduce them:

- ``model``: the RBM itself (energy, free energy, conditionals, Gibbs sampling);
- ``exact``: exact computations for tiny models (partition function, p(v), gradient);
- ``contrastive``: CD-k and PCD-k gradient estimates;
- ``training``: the training loop and its monitors;
- ``data``: MovieLens, checksummed and cached, and a synthetic stand-in;
- ``metrics`` and ``baselines``: held-out evaluation and the simple models to beat;
- ``seed_recipe``: the seed article's training loop, reproduced with its quirks;
- ``softmax`` / ``softmax_exact`` / ``softmax_conditional``: softmax visible units for
  ratings, and the variant that also sees which movies were rated (notebook 06).
"""
from . import baselines, data, exact, metrics, seed_recipe, softmax, softmax_conditional, softmax_exact
from .contrastive import Gradients, cd_gradient, pcd_gradient
from .device import resolve_device
from .model import RBM
from .softmax import SoftmaxRBM, categories_from_ratings, expected_category
from .softmax_conditional import ConditionalSoftmaxRBM
from .training import free_energy_gap, reconstruction_error, train
from .validation import MISSING

__version__ = "0.1.0"

__all__ = [
    "ConditionalSoftmaxRBM",
    "MISSING",
    "RBM",
    "SoftmaxRBM",
    "Gradients",
    "baselines",
    "categories_from_ratings",
    "cd_gradient",
    "data",
    "exact",
    "expected_category",
    "free_energy_gap",
    "metrics",
    "pcd_gradient",
    "reconstruction_error",
    "resolve_device",
    "seed_recipe",
    "softmax",
    "softmax_conditional",
    "softmax_exact",
    "train",
]
