"""Exact computations for tiny softmax RBMs: the same functions as ``rbm_helpers.exact``.

Since the redesign one exact module serves every unit type; this module
keeps notebook 06's import working. Introduced in notebook 06 (Softmax units).
"""
from .exact import (  # noqa: F401
    MAX_ENUMERATED_STATES,
    all_categories,
    all_states,
    hidden_distribution,
    log_likelihood,
    log_likelihood_gradient,
    log_partition,
    model_statistics,
    visible_distribution,
)
