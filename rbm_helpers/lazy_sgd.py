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
applied when the row is next touched or at ``flush()``. The cost of a step is
proportional to the rows touched, not to the size of the parameter.
Dense gradients are treated as touching every row (the plain SGD step).
Introduced with the command line's training at scale (README, "Training at scale").
"""
from __future__ import annotations

from typing import Iterable

import torch

__all__ = ["LazySGD"]


class LazySGD(torch.optim.Optimizer):
    """``torch.optim.SGD`` (no dampening, no Nesterov) that accepts row-sparse gradients and updates lazily.

    A row-sparse gradient is a sparse COO tensor whose sparse dimension is
    the first one (as ``torch.nn.functional.embedding(..., sparse=True)``
    and ``rbm_helpers.sparse_rows.gather_sum`` produce). Rows that no
    gradient named lag behind: call ``bring_up_to_date(parameter, rows)``
    before a forward pass reads those rows, and ``flush()`` before reading
    all of them (``train`` does both). Up to rounding, the
    parameters after ``flush()`` equal those of ``torch.optim.SGD``.
    Introduced with the command line's training at scale (README).
    """

    def __init__(self, params: Iterable, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a number >= 0; got {value!r}.")
        if momentum >= 1:
            raise ValueError(f"momentum must be in [0, 1); got {momentum!r}.")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    @staticmethod
    def _matrix(group: dict) -> torch.Tensor:
        """The 2 x 2 map of one gradient-free step on (velocity, parameter), in float64."""
        lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
        return torch.tensor([[momentum, decay], [-lr * momentum, 1.0 - lr * decay]], dtype=torch.float64)

    def _state(self, parameter: torch.Tensor, group: dict) -> dict:
        state = self.state[parameter]
        if not state:
            state["velocity"] = torch.zeros_like(parameter)
            state["last_step"] = torch.zeros(parameter.shape[0], dtype=torch.long, device=parameter.device)
            state["step"] = 0
            state["powers"] = torch.eye(2, dtype=torch.float64).unsqueeze(0)
            state["settings"] = (group["lr"], group["momentum"], group["weight_decay"])
        elif state["settings"] != (group["lr"], group["momentum"], group["weight_decay"]):
            self._flush_parameter(parameter, state)  # catch up under the old settings first
            state["powers"] = torch.eye(2, dtype=torch.float64).unsqueeze(0)
            state["settings"] = (group["lr"], group["momentum"], group["weight_decay"])
        return state

    def _powers(self, state: dict, n: int) -> torch.Tensor:
        """The gradient-free map to the powers 0..n, shape (n + 1, 2, 2), extended and cached as needed."""
        powers = state["powers"]
        if len(powers) <= n:
            matrix = self._matrix(dict(zip(("lr", "momentum", "weight_decay"), state["settings"])))
            extra = [powers[-1]]
            for _ in range(n + 1 - len(powers)):
                extra.append(matrix @ extra[-1])
            state["powers"] = powers = torch.cat([powers, torch.stack(extra[1:])])
        return powers[: n + 1]

    def _catch_up(self, parameter: torch.Tensor, state: dict, rows: torch.Tensor, skipped: torch.Tensor) -> None:
        """Apply the ``skipped`` gradient-free steps to ``rows`` (one power per row)."""
        if rows.numel() == 0 or int(skipped.max()) == 0:
            return
        maps = self._powers(state, int(skipped.max())).to(parameter.device)[skipped]  # (rows, 2, 2)
        shape = (-1,) + (1,) * (parameter.dim() - 1)
        velocity, value = state["velocity"][rows], parameter.data[rows]
        new_velocity = maps[:, 0, 0].view(shape).to(value.dtype) * velocity + maps[:, 0, 1].view(shape).to(value.dtype) * value
        new_value = maps[:, 1, 0].view(shape).to(value.dtype) * velocity + maps[:, 1, 1].view(shape).to(value.dtype) * value
        state["velocity"][rows] = new_velocity
        parameter.data[rows] = new_value

    @torch.no_grad()
    def step(self, closure=None):  # noqa: D401 - torch's signature
        """One SGD step: rows a gradient names are caught up, then moved; the others wait."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                state = self._state(parameter, group)
                state["step"] += 1
                grad = parameter.grad
                if grad.is_sparse:
                    grad = grad.coalesce()
                    rows, grad_rows = grad.indices()[0], grad.values()
                else:
                    rows, grad_rows = torch.arange(parameter.shape[0], device=parameter.device), grad
                self._catch_up(parameter, state, rows, state["step"] - 1 - state["last_step"][rows])
                velocity = state["velocity"][rows].mul_(momentum).add_(grad_rows).add_(parameter.data[rows], alpha=decay)
                state["velocity"][rows] = velocity
                parameter.data[rows] = parameter.data[rows] - lr * velocity
                state["last_step"][rows] = state["step"]
        return loss

    @torch.no_grad()
    def bring_up_to_date(self, parameter: torch.Tensor, rows: torch.Tensor) -> None:
        """Apply the steps ``rows`` of ``parameter`` have missed, before a forward pass reads them.

        A training loop calls this with the rows its next batch reads (the
        units of the batch); ``flush()`` does it for every row.
        """
        state = self.state.get(parameter)
        if not state:
            return
        rows = rows.to(parameter.device)
        self._catch_up(parameter, state, rows, state["step"] - state["last_step"][rows])
        state["last_step"][rows] = state["step"]

    @torch.no_grad()
    def flush(self) -> None:
        """Bring every postponed row up to date, so that the parameters are what SGD would hold now."""
        for group in self.param_groups:
            for parameter in group["params"]:
                state = self.state.get(parameter)
                if state:
                    self._flush_parameter(parameter, state)

    def _flush_parameter(self, parameter: torch.Tensor, state: dict) -> None:
        rows = torch.arange(parameter.shape[0], device=parameter.device)
        self._catch_up(parameter, state, rows, state["step"] - state["last_step"])
        state["last_step"].fill_(state["step"])
