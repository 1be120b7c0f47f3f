"""rbm_helpers: the code behind the notebook series on restricted Boltzmann machines.

One home per idea, in the order the notebooks introduce them:

- ``units``: the kinds of visible units (``Bernoulli``, ``Softmax``, ``Gaussian``), one file each;
- ``model``: the one RBM, for every unit type (energy, free energy at any inverse temperature
  beta, conditionals, Gibbs sampling), and the public protocol the algorithms use;
- ``exact``: exact computations for tiny models of any unit type (log Z, p(v), the gradient);
- ``contrastive``: the CD-k and PCD-k estimators, by autograd of the free-energy difference;
- ``samplers``: persistent fantasy chains and parallel tempering;
- ``ais``: annealed importance sampling for log Z of models too big to enumerate;
- ``training``: the one training loop (``torch.optim``) and its monitors;
- ``checkpoints``: saving and loading models, atomically and checked;
- ``data``: MovieLens (checksummed, cached), a synthetic stand-in, digits and MNIST;
- ``metrics``, ``baselines``, ``evaluation``, ``recipes``: held-out evaluation against simple baselines;
- ``seed_recipe``: the seed article's training loop, reproduced with its quirks;
- ``softmax`` / ``softmax_conditional``: the recommender's softmax RBMs (notebook 06);
- ``sklearn``: the RBM as a scikit-learn transformer; ``dbn``: deep belief networks;
- ``ising``: the 2-D Ising model and simulated annealing (notebook 09);
- ``drawings``: pictures of every model (the network, the Gibbs chain, per-user RBMs, a softmax unit, a DBN);
- ``exercises``: one module of checkers per notebook; ``student_copies``: the notebooks without their solutions;
- at scale (README, "Training at scale"): ``rating_scale`` (stars, half stars), ``sparse_rows`` (rows kept
  as entries, CD-k over them), ``lazy_sgd`` (SGD that updates only the rows a batch touches),
  ``distributed`` (torch.distributed, torchrun), ``recommender`` (fit, predict, top-k at any size) and
  ``train_command`` (``python -m rbm_helpers train``).
"""
from . import ais, baselines, data, exact, metrics, samplers, seed_recipe, softmax, softmax_conditional, softmax_exact, units
from .contrastive import Gradients, cd_gradient, pcd_gradient
from .device import resolve_device
from .model import RBM
from .softmax import SoftmaxRBM, categories_from_ratings, expected_category
from .softmax_conditional import ConditionalSoftmaxRBM
from .training import TrainingDivergedError, free_energy_gap, reconstruction_error, train
from .units import Bernoulli, Gaussian, Softmax
from .validation import MISSING

__version__ = "0.2.0"

__all__ = [
    "Bernoulli",
    "ConditionalSoftmaxRBM",
    "Gaussian",
    "Gradients",
    "MISSING",
    "RBM",
    "Softmax",
    "SoftmaxRBM",
    "TrainingDivergedError",
    "ais",
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
    "samplers",
    "seed_recipe",
    "softmax",
    "softmax_conditional",
    "softmax_exact",
    "train",
    "units",
]
