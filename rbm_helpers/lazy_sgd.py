"""SGD with momentum and weight decay that touches only the rows a sparse gradient names, exactly.

Trained on millions of ratings, a batch of 100 movies reaches a few percent
of the users, so the gradient of a (n_users, K, n_hidden) weight is zero in
most rows. ``torch.optim.SGD`` still updates every row at every step
(momentum and weight decay move rows whose gradient is zero), and it refuses
weight decay on a sparse gradient. ``LazySGD`` gives the same parameters as
``torch.optim.SGD(lr, momentum, weight_decay)`` but postpones the rows a
gradient does not name: with no gradient, one step maps a row's (velocity,
parameter) through the same 2 x 2 matrix

    velocity'  = momentum * velocity + weight_decay * parameter
    parameter' = parameter - lr * velocity',

so ``n`` skipped steps are one product with that matrix to the power ``n``,
applied when the row is next read or touched, or at ``flush()``. A step
costs in proportion to the rows touched, not to the size of the parameter.
Introduced with the command line's training at scale (README, "Training at scale").
"""
from __future__ import annotations

import math
from typing import Iterable

import torch

__all__ = ["LazySGD"]


class LazySGD(torch.optim.Optimizer):
    """``torch.optim.SGD`` (no dampening, no Nesterov) that accepts sparse gradients and updates lazily.

    A *row* of a parameter is one index into its first ``d`` dimensions,
    where ``d`` is the sparse dimension of its gradients (a sparse COO
    tensor, as ``torch.nn.functional.embedding(..., sparse=True)`` or
    ``rbm_helpers.sparse_rows.gather_sum`` produce: ``d`` = 2 for a
    (units, K, n_hidden) weight means one row per (unit, category)); a dense
    gradient touches every row of the first dimension. Rows no gradient
    named lag behind: call ``bring_up_to_date(parameter, rows)`` (flat row
    indices) before a forward pass reads them, and ``flush()`` before reading
    all of them; ``train`` does both. After ``flush()`` the parameters equal
    those of ``torch.optim.SGD`` up to rounding.
    Introduced with the command line's training at scale (README).
    """

    def __init__(self, params: Iterable, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
        if momentum >= 1:
            raise ValueError(f"momentum must be in [0, 1); got {momentum!r}.")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    # ------------------------------------------------------------------ state
    @staticmethod
    def _settings(group: dict) -> tuple[float, float, float]:
        return (group["lr"], group["momentum"], group["weight_decay"])

    def _state(self, parameter: torch.Tensor, group: dict, sparse_dim: int) -> dict:
        """The parameter's state, created on first use; every row caught up first if the settings or row layout change."""
        state = self.state[parameter]
        if not state:
            state.update(step=0, velocity=torch.zeros_like(parameter))
        elif state["settings"] != self._settings(group) or state["sparse_dim"] != sparse_dim:
            self._flush_parameter(parameter, state)  # every row catches up under the old settings first
        if state.get("settings") != self._settings(group) or state.get("sparse_dim") != sparse_dim:
            state.update(sparse_dim=sparse_dim, settings=self._settings(group), powers=torch.eye(2, dtype=torch.float64).unsqueeze(0),
                         last_step=torch.full((math.prod(parameter.shape[:sparse_dim]),), state["step"], dtype=torch.long,
                                              device=parameter.device))
        return state

    @staticmethod
    def _rows(tensor: torch.Tensor, state: dict) -> torch.Tensor:
        """``tensor`` (the parameter or its velocity) viewed with one flat row per row of the state."""
        return tensor.view(-1, *tensor.shape[state["sparse_dim"] :])

    def _powers(self, state: dict, n: int) -> torch.Tensor:
        """The gradient-free map to the powers 0..n, shape (n + 1, 2, 2), extended and cached as needed."""
        powers = state["powers"]
        if len(powers) <= n:
            lr, momentum, decay = state["settings"]
            matrix = torch.tensor([[momentum, decay], [-lr * momentum, 1.0 - lr * decay]], dtype=torch.float64)
            extra = [powers[-1]]
            for _ in range(n + 1 - len(powers)):
                extra.append(matrix @ extra[-1])
            state["powers"] = powers = torch.cat([powers, torch.stack(extra[1:])])
        return powers[: n + 1]

    def _catch_up(self, parameter: torch.Tensor, state: dict, rows: torch.Tensor, upto: int) -> None:
        """Apply to ``rows`` the gradient-free steps between their last step and step ``upto``."""
        skipped = upto - state["last_step"][rows]
        behind = skipped > 0
        rows, skipped = rows[behind], skipped[behind]
        if rows.numel():
            values, velocities = self._rows(parameter.data, state), self._rows(state["velocity"], state)
            maps = self._powers(state, int(skipped.max())).to(device=parameter.device, dtype=parameter.dtype)[skipped]
            shape = (-1,) + (1,) * (values.dim() - 1)
            value, velocity = values.index_select(0, rows), velocities.index_select(0, rows)
            velocities.index_copy_(0, rows, maps[:, 0, 0].view(shape) * velocity + maps[:, 0, 1].view(shape) * value)
            values.index_copy_(0, rows, maps[:, 1, 0].view(shape) * velocity + maps[:, 1, 1].view(shape) * value)
        state["last_step"][rows] = upto

    # ------------------------------------------------------------------ the public steps
    @torch.no_grad()
    def step(self, closure=None):  # noqa: D401 - torch's signature
        """One SGD step: the rows a gradient names are caught up, then moved; the others wait."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, momentum, decay = self._settings(group)
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                grad = parameter.grad.coalesce() if parameter.grad.is_sparse else parameter.grad
                state = self._state(parameter, group, grad.sparse_dim() if grad.is_sparse else 1)
                if grad.is_sparse:
                    shape = parameter.shape[: state["sparse_dim"]]
                    rows = _flat_index(grad.indices(), shape)
                    grad_rows = grad.values()
                else:
                    rows, grad_rows = torch.arange(parameter.shape[0], device=parameter.device), grad
                self._catch_up(parameter, state, rows, state["step"])
                state["step"] += 1
                values, velocities = self._rows(parameter.data, state), self._rows(state["velocity"], state)
                velocity = velocities.index_select(0, rows).mul_(momentum).add_(grad_rows)
                value = values.index_select(0, rows)
                if decay:
                    velocity.add_(value, alpha=decay)
                velocities.index_copy_(0, rows, velocity)
                values.index_copy_(0, rows, value.sub_(velocity, alpha=lr))
                state["last_step"][rows] = state["step"]
        return loss

    @torch.no_grad()
    def bring_up_to_date(self, parameter: torch.Tensor, rows: torch.Tensor) -> None:
        """Apply the steps ``rows`` (flat row indices) of ``parameter`` have missed, before a forward pass reads them."""
        state = self.state.get(parameter)
        if state:
            self._catch_up(parameter, state, rows.to(parameter.device), state["step"])

    @torch.no_grad()
    def flush(self) -> None:
        """Bring every postponed row up to date, so that the parameters are what SGD would hold now."""
        for group in self.param_groups:
            for parameter in group["params"]:
                state = self.state.get(parameter)
                if state:
                    self._flush_parameter(parameter, state)

    def _flush_parameter(self, parameter: torch.Tensor, state: dict) -> None:
        self._catch_up(parameter, state, torch.arange(state["last_step"].numel(), device=parameter.device), state["step"])


def _flat_index(indices: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """Row-major flat positions of the columns of ``indices`` (sparse_dim x nnz) in ``shape``."""
    flat = indices[0].clone()
    for dimension in range(1, indices.shape[0]):
        flat.mul_(shape[dimension]).add_(indices[dimension])
    return flat
