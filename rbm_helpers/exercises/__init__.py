"""Checkers for the notebooks' exercises: run your function, compare, explain.

Each ``check_*`` calls your function on small seeded cases, compares what it
returns with ``rbm_helpers`` (or with exact enumeration), prints "Correct!" or
what is wrong with a hint, and returns ``True`` or ``False``. A checker never
raises because of your function: if it raises, the error is reported with a
hint. Every tensor handed to your function is a copy, so changing it in place
does no harm.

One module per notebook, and one, ``checking``, for what they share:

- ``energy_model`` (01): ``check_energy``, ``check_free_energy``, ``check_log_partition``;
- ``build_an_rbm`` (02): ``check_sample_h``, ``check_gibbs_step``, ``check_cd_gradient``;
- ``train_on_movielens`` (03): ``check_liked_matrix``, ``check_batch_starts``;
- ``loss_curves`` (04): ``check_overfitting``, ``check_pseudo_log_likelihood`` (and ``check_free_energy_gap``);
- ``recommend`` (05): ``check_personal_lists``, ``check_mae_threshold`` (and ``check_top_k``);
- ``softmax_units`` (06): ``check_visible_probabilities``, ``check_expected_rating``, ``check_reported_rmse``,
  ``check_exact_prediction``.
- ``an_rbm_that_dreams`` (07): ``check_ais_step``, ``check_anomaly_score``, ``check_swap_acceptance``.
- ``stacking_rbms`` (08): ``check_up_pass``, ``check_transposed_layer``.
- ``rbms_in_physics`` (09): ``check_lattice_energy``, ``check_metropolis_acceptance``, ``check_specific_heat``.

Every checker is importable from here too: ``from rbm_helpers.exercises import check_energy``.
Introduced in notebook 01 (its exercises).
"""
from .an_rbm_that_dreams import check_ais_step, check_anomaly_score, check_swap_acceptance
from .build_an_rbm import check_cd_gradient, check_gibbs_step, check_sample_h
from .checking import (
    example_rbm,
)
from .energy_model import check_energy, check_free_energy, check_log_partition
from .loss_curves import check_free_energy_gap, check_overfitting, check_pseudo_log_likelihood
from .rbms_in_physics import check_lattice_energy, check_metropolis_acceptance, check_specific_heat
from .recommend import check_mae_threshold, check_personal_lists, check_top_k
from .stacking_rbms import check_transposed_layer, check_up_pass
from .softmax_units import check_exact_prediction, check_expected_rating, check_reported_rmse, check_visible_probabilities
from .train_on_movielens import check_batch_starts, check_liked_matrix

__all__ = [
    "check_ais_step",
    "check_anomaly_score",
    "check_swap_acceptance",
    "check_transposed_layer",
    "check_up_pass",
    "check_batch_starts",
    "check_cd_gradient",
    "check_energy",
    "check_exact_prediction",
    "check_expected_rating",
    "check_reported_rmse",
    "check_free_energy",
    "check_free_energy_gap",
    "check_overfitting",
    "check_gibbs_step",
    "check_lattice_energy",
    "check_liked_matrix",
    "check_log_partition",
    "check_mae_threshold",
    "check_personal_lists",
    "check_metropolis_acceptance",
    "check_pseudo_log_likelihood",
    "check_sample_h",
    "check_specific_heat",
    "check_top_k",
    "check_visible_probabilities",
    "example_rbm",
]
