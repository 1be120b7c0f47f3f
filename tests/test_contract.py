"""The contract every visible unit type must keep: one suite, parametrised over unit types.

A new unit type gets every test here by adding one ``Case`` to ``CASES``: a
small subclass that says how the type's values look (``encode``, ``base``,
``states`` for a discrete type) and which inputs it must refuse. Nothing else
in this file names a unit type.

Every expected value is computed here, independently of the package, from
the definition

    E(v, h) = base(v) - v . b - h . c - v^T W h,    p(v, h) = exp(-beta E(v, h)) / Z(beta),

with ``v`` encoded (0/1 for binary units, one-hot blocks for softmax units,
reals for Gaussian units), ``base(v)`` = 0 or sum v^2 / 2, and plain torch /
itertools: every joint state is listed (itertools) for discrete units; for real-valued
units the visible integral is done in closed form per hidden state (and, in
one test, numerically on a grid). Statistical tests derive their tolerances
from the sample size and use fixed seeds, so they never flake.
"""
from __future__ import annotations

import itertools
import math

import pytest
import torch

from rbm_helpers import RBM, cd_gradient, exact, pcd_gradient, train
from rbm_helpers.contrastive import cd_loss, cd_statistics
from rbm_helpers.units import Bernoulli, Gaussian, Softmax

TOL = 1e-10  # float64 throughout; the brute-force sums have at most a few thousand terms
GRAD_TOL = 1e-9  # autograd of a brute-force log-likelihood against the package's closed forms
DELTA = 1e-4  # failure probability of each statistical bound
SIGMAS = 5.0  # per-entry bound for estimates with a normal limit (two-sided P < 6e-7 per entry)
N_CHAINS = 20_000
BETAS = (1.0, 0.5)


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


# ====================================================================== the unit types
class Case:
    """How the tests see one unit type. Subclasses fill in the type-specific parts."""

    discrete = True
    n_visible = 4  # the default size of the visible layer in the tests
    scale = 1.0  # weights and biases of order ``scale``

    def layer(self, n: int):
        """A visible layer of ``n`` units of this type."""
        raise NotImplementedError

    def encode(self, values: torch.Tensor) -> torch.Tensor:
        """User values -> encoded float64 rows (the ``v`` of the energy), written from the definition."""
        raise NotImplementedError

    def base(self, x: torch.Tensor) -> torch.Tensor:
        """base(v) of encoded rows."""
        return x.new_zeros(x.shape[0])

    def levels(self) -> int:
        """Values per unit of a discrete type (its states are itertools.product(range(levels), repeat=n))."""
        raise NotImplementedError

    def states(self, n: int | None = None) -> torch.Tensor:
        """Every visible state in user values, in itertools order (first unit most significant)."""
        raise NotImplementedError

    def state_index(self, values: torch.Tensor) -> torch.Tensor:
        """The position of each row of user values in ``states()``."""
        powers = self.levels() ** torch.arange(values.shape[1] - 1, -1, -1)
        return (values.long() * powers).sum(1)

    def random_values(self, n_rows: int, generator: torch.Generator, n: int | None = None) -> torch.Tensor:
        raise NotImplementedError

    def fixed_start(self, n_rows: int) -> torch.Tensor:
        """One fixed visible state, repeated (the start of every Gibbs chain)."""
        raise NotImplementedError

    def view(self, encoded_mean: torch.Tensor) -> torch.Tensor:
        """Encoded conditional means in the shape ``visible_probabilities`` returns."""
        return encoded_mean

    def bad_values(self) -> list[tuple[str, object]]:
        """Inputs every function taking visible values must refuse (shape, NaN, dtype, domain, empty)."""
        n = self.n_visible
        good = self.random_values(3, torch.Generator().manual_seed(0))
        return [
            ("a list", good.tolist()),
            ("too many columns", self.random_values(3, torch.Generator().manual_seed(0), n + 1)),
            ("a 3-D tensor", good.unsqueeze(0)),
            ("a 1-D row of the wrong length", good[0, :-1]),
            ("an empty batch", good[:0]),
        ]

    def make(self, n_hidden: int = 3, seed: int = 0, scale: float | None = None, n_visible: int | None = None) -> RBM:
        """A float64 model with weights and biases drawn from N(0, scale^2)."""
        scale = self.scale if scale is None else scale
        model = RBM(self.layer(n_visible or self.n_visible), n_hidden, seed=seed, dtype=torch.float64, init_std=scale)
        g = torch.Generator().manual_seed(seed + 100)
        model.visible_bias.copy_(torch.randn(model.visible_bias.shape, generator=g, dtype=torch.float64) * scale)
        model.hidden_bias.copy_(torch.randn(n_hidden, generator=g, dtype=torch.float64) * scale)
        return model


class BernoulliCase(Case):
    def layer(self, n):
        return Bernoulli(n)

    def encode(self, values):
        return values.to(torch.float64)

    def levels(self):
        return 2

    def states(self, n=None):
        return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n or self.n_visible)), dtype=torch.float64)

    def random_values(self, n_rows, generator, n=None):
        return (torch.rand(n_rows, n or self.n_visible, generator=generator) < 0.5).double()

    def fixed_start(self, n_rows):
        return torch.zeros(n_rows, self.n_visible, dtype=torch.float64)

    def bad_values(self):
        good = self.random_values(3, torch.Generator().manual_seed(0))
        nan, half, two, long = good.clone(), good.clone(), good.clone(), good.long()
        nan[1, 2], half[0, 0], two[2, 1] = math.nan, 0.5, 2.0
        return super().bad_values() + [("NaN", nan), ("an integer dtype", long), ("0.5", half), ("2", two),
                                       ("inf", good.clone().fill_(math.inf))]


class SoftmaxCase(Case):
    n_visible = 3
    n_categories = 3

    def layer(self, n):
        return Softmax(n, self.n_categories)

    def encode(self, values):
        eye = torch.eye(self.n_categories, dtype=torch.float64)
        return eye[values.long()].reshape(values.shape[0], -1)

    def levels(self):
        return self.n_categories

    def states(self, n=None):
        return torch.tensor(list(itertools.product(range(self.n_categories), repeat=n or self.n_visible)))

    def random_values(self, n_rows, generator, n=None):
        return torch.randint(0, self.n_categories, (n_rows, n or self.n_visible), generator=generator)

    def fixed_start(self, n_rows):
        return torch.zeros(n_rows, self.n_visible, dtype=torch.long)

    def view(self, encoded_mean):
        return encoded_mean.reshape(encoded_mean.shape[0], -1, self.n_categories)

    def bad_values(self):
        good = self.random_values(3, torch.Generator().manual_seed(0))
        nan, fraction = good.double(), good.double()
        nan[0, 1], fraction[1, 1] = math.nan, 0.5
        too_big, negative = good.clone(), good.clone()
        too_big[2, 0], negative[0, 2] = self.n_categories, -2
        return super().bad_values() + [
            ("NaN", nan), ("a bool dtype", good > 0), ("a one-hot tensor", self.encode(good).reshape(3, -1, self.n_categories)),
            ("category K", too_big), ("category -2", negative), ("a fraction", fraction),
            ("inf", good.double().fill_(math.inf)),
        ]


class GaussianCase(Case):
    discrete = False
    n_visible = 2
    scale = 0.5

    def layer(self, n):
        return Gaussian(n)

    def encode(self, values):
        return values.to(torch.float64)

    def base(self, x):
        return 0.5 * (x * x).sum(1)

    def random_values(self, n_rows, generator, n=None):
        return torch.randn(n_rows, n or self.n_visible, generator=generator, dtype=torch.float64) * 1.5 + 0.3

    def fixed_start(self, n_rows):
        return torch.zeros(n_rows, self.n_visible, dtype=torch.float64)

    def bad_values(self):
        good = self.random_values(3, torch.Generator().manual_seed(0))
        nan, inf, minus_inf = good.clone(), good.clone(), good.clone()
        nan[1, 0], inf[0, 1], minus_inf[2, 0] = math.nan, math.inf, -math.inf
        return super().bad_values() + [("NaN", nan), ("inf", inf), ("-inf", minus_inf), ("an integer dtype", good.long())]


CASES = [
    pytest.param(BernoulliCase(), id="bernoulli"),
    pytest.param(SoftmaxCase(), id="softmax"),
    pytest.param(GaussianCase(), id="gaussian"),
]
DISCRETE_CASES = [p for p in CASES if p.values[0].discrete]
REAL_CASES = [p for p in CASES if not p.values[0].discrete]


# ====================================================================== brute force (no package code)
def hidden_states(n_hidden: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n_hidden)), dtype=torch.float64)


def parameters(model: RBM, requires_grad: bool = False):
    """Copies of (W, b, c) as leaves (their own shapes) and flattened views (W: encoded columns x hidden)."""
    leaves = [p.detach().clone().requires_grad_(requires_grad) for p in (model.weight, model.visible_bias, model.hidden_bias)]
    W, b, c = leaves
    return leaves, (W.reshape(-1, c.shape[0]), b.reshape(-1), c)


def minus_energy(case: Case, flat, X: torch.Tensor, H: torch.Tensor) -> torch.Tensor:
    """-E(v, h) for every encoded row of X and every hidden row of H: shape (len(X), len(H))."""
    W, b, c = flat
    return (X @ b - case.base(X))[:, None] + (H @ c)[None, :] + X @ W @ H.T


def log_partition(case: Case, flat, beta: float = 1.0) -> torch.Tensor:
    """log Z(beta): every joint state summed (discrete), or v integrated per hidden state (real-valued).

    For a real-valued layer with base(v) = |v|^2 / 2: int exp(beta (v . mu - |v|^2 / 2)) dv
    = exp(beta |mu|^2 / 2) (2 pi / beta)^(n / 2), with mu = b + W h.
    """
    W, b, c = flat
    H = hidden_states(c.shape[0])
    if case.discrete:
        X = case.encode(case.states())
        return torch.logsumexp((beta * minus_energy(case, flat, X, H)).reshape(-1), 0)
    mu = b + H @ W.T
    return torch.logsumexp(beta * (H @ c + 0.5 * (mu * mu).sum(1)), 0) + 0.5 * b.shape[0] * math.log(2 * math.pi / beta)


def log_hidden_marginal(case: Case, flat, beta: float = 1.0) -> torch.Tensor:
    """log p(h) for every hidden state."""
    W, b, c = flat
    H = hidden_states(c.shape[0])
    if case.discrete:
        X = case.encode(case.states())
        return torch.logsumexp(beta * minus_energy(case, flat, X, H), 0) - log_partition(case, flat, beta)
    mu = b + H @ W.T
    log_weight = beta * (H @ c + 0.5 * (mu * mu).sum(1))
    return log_weight - torch.logsumexp(log_weight, 0)


def log_probability(case: Case, flat, values: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """log p(v) (a log-density for real-valued units): log sum_h exp(-beta E(v, h)) - log Z."""
    H = hidden_states(flat[2].shape[0])
    return torch.logsumexp(beta * minus_energy(case, flat, case.encode(values), H), 1) - log_partition(case, flat, beta)


def exact_samples(case: Case, model: RBM, n_rows: int, generator: torch.Generator, beta: float = 1.0) -> torch.Tensor:
    """Independent draws from p(v) by brute force: a categorical over every state, or h ~ p(h), v ~ N(mu_h, 1/beta)."""
    _, flat = parameters(model)
    if case.discrete:
        states = case.states()
        p = log_probability(case, flat, states, beta).exp()
        return states[torch.multinomial(p, n_rows, replacement=True, generator=generator)]
    W, b, c = flat
    H = hidden_states(c.shape[0])
    h = H[torch.multinomial(log_hidden_marginal(case, flat, beta).exp(), n_rows, replacement=True, generator=generator)]
    return b + h @ W.T + torch.randn(n_rows, b.shape[0], generator=generator, dtype=torch.float64) / math.sqrt(beta)


def variance_bound(case: Case, flat) -> float:
    """A bound on the variance of every entry of the CD/PCD statistics x_i p(h_j|v), x_i and p(h_j|v).

    Discrete units: every statistic lies in [0, 1], so its variance is at most 1/4.
    Real-valued units: E[(x_i p)^2] <= E[x_i^2] = 1/beta + sum_h p(h) mu_hi^2, with mu_h = b + W h.
    """
    if case.discrete:
        return 0.25
    W, b, c = flat
    mu = b + hidden_states(c.shape[0]) @ W.T
    p = log_hidden_marginal(case, flat).exp()
    return max(0.25, float((p @ (1.0 + mu * mu)).max()))


def brute_gradient(case: Case, model: RBM, data: torch.Tensor) -> list[torch.Tensor]:
    """d mean log p(data) / d (W, b, c) by autograd of the brute-force log-likelihood."""
    leaves, flat = parameters(model, requires_grad=True)
    return list(torch.autograd.grad(log_probability(case, flat, data).mean(), leaves))


def max_error(estimate, truth) -> float:
    return max(float((e - t).abs().max()) for e, t in zip(estimate, truth))


# ====================================================================== 1. energy and free energy
@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("case", CASES)
def test_energy_and_free_energy_match_the_definition(case, beta):
    model = case.make()
    _, flat = parameters(model)
    values = case.states() if case.discrete else case.random_values(9, torch.Generator().manual_seed(1))
    H = hidden_states(model.n_hidden)
    E = -minus_energy(case, flat, case.encode(values), H)  # (rows, hidden states)
    pairs_v, pairs_h = values.repeat_interleave(len(H), 0), H.repeat(len(values), 1)
    torch.testing.assert_close(model.energy(pairs_v, pairs_h, beta=beta), beta * E.reshape(-1), atol=TOL, rtol=0)
    torch.testing.assert_close(model.free_energy(values, beta=beta), -torch.logsumexp(-beta * E, 1), atol=TOL, rtol=0)


# ====================================================================== 2. log Z and log p(v)
@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("n_hidden", [3, 6])  # discrete: the hidden layer, then the visible layer is the one enumerated
@pytest.mark.parametrize("case", CASES)
def test_log_partition_and_log_likelihood_match_brute_force(case, n_hidden, beta):
    model = case.make(n_hidden=n_hidden)
    _, flat = parameters(model)
    torch.testing.assert_close(exact.log_partition(model, beta=beta), log_partition(case, flat, beta), atol=TOL, rtol=0)
    values = case.states() if case.discrete else case.random_values(9, torch.Generator().manual_seed(2))
    torch.testing.assert_close(exact.log_likelihood(model, values, beta=beta), log_probability(case, flat, values, beta), atol=TOL, rtol=0)
    if case.discrete:  # the brute-force log-likelihood itself is normalised
        torch.testing.assert_close(log_probability(case, flat, values, beta).exp().sum(), torch.tensor(1.0, dtype=torch.float64))


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("case", REAL_CASES)
def test_one_real_valued_unit_by_numerical_integration(case, beta):
    """One real-valued visible unit: Z, p(v) and E[v | h] by the trapezoid rule on a fine, wide grid.

    The integrand is smooth and decays like a Gaussian, so the trapezoid rule
    is accurate far beyond the tolerance; the grid reaches 15 standard
    deviations past every conditional mean.
    """
    model = case.make(n_visible=1, scale=1.5, seed=3)  # large weights: p(v) is a visibly multi-modal mixture
    _, flat = parameters(model)
    W, b, c = flat
    H = hidden_states(model.n_hidden)
    reach = float((b.abs() + W.abs().sum(1)).max()) + 15 / math.sqrt(beta)
    grid = torch.linspace(-reach, reach, 40_001, dtype=torch.float64)
    integrand = (beta * minus_energy(case, flat, grid[:, None], H)).exp()  # exp(-beta E(v, h)), (grid, hidden)
    z = torch.trapezoid(integrand.sum(1), grid)
    torch.testing.assert_close(exact.log_partition(model, beta=beta), z.log(), atol=1e-9, rtol=0)
    density = exact.log_likelihood(model, grid[:, None], beta=beta).exp()
    torch.testing.assert_close(torch.trapezoid(density, grid), torch.tensor(1.0, dtype=torch.float64), atol=1e-9, rtol=0)
    torch.testing.assert_close(density, integrand.sum(1) / z, atol=1e-9, rtol=1e-9)
    conditional_mean = torch.trapezoid(grid[:, None] * integrand, grid, dim=0) / torch.trapezoid(integrand, grid, dim=0)
    torch.testing.assert_close(model.visible_probabilities(H, beta=beta)[:, 0], conditional_mean, atol=1e-9, rtol=0)
    torch.testing.assert_close(conditional_mean, (b + H @ W.T)[:, 0], atol=1e-9, rtol=0)  # the closed form, b + W h


# ====================================================================== 3. distributions, statistics, gradient
@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("n_hidden", [3, 6])
@pytest.mark.parametrize("case", CASES)
def test_visible_and_hidden_distributions_match_brute_force(case, n_hidden, beta):
    model = case.make(n_hidden=n_hidden)
    _, flat = parameters(model)
    states_h, p_h = exact.hidden_distribution(model, beta=beta)
    assert torch.equal(states_h, hidden_states(n_hidden))
    torch.testing.assert_close(p_h.sum(), torch.tensor(1.0, dtype=torch.float64), atol=TOL, rtol=0)
    torch.testing.assert_close(p_h, log_hidden_marginal(case, flat, beta).exp(), atol=TOL, rtol=0)
    if not case.discrete:
        with pytest.raises(ValueError, match="states"):
            exact.visible_distribution(model, beta=beta)
        return
    states_v, p_v = exact.visible_distribution(model, beta=beta)
    assert torch.equal(states_v.to(case.states().dtype), case.states())
    torch.testing.assert_close(p_v.sum(), torch.tensor(1.0, dtype=torch.float64), atol=TOL, rtol=0)
    torch.testing.assert_close(p_v, log_probability(case, flat, case.states(), beta).exp(), atol=TOL, rtol=0)


@pytest.mark.parametrize("n_hidden", [3, 6])
@pytest.mark.parametrize("case", CASES)
def test_model_statistics_and_gradient_match_autograd_of_brute_force(case, n_hidden):
    """d log Z / d theta = E_model[-dE/d theta] = the model statistics; d mean log p(data) = the exact gradient."""
    model = case.make(n_hidden=n_hidden)
    leaves, flat = parameters(model, requires_grad=True)
    expected = torch.autograd.grad(log_partition(case, flat), leaves)
    statistics = exact.model_statistics(model)
    for got, want in zip(statistics, expected):
        assert got.shape == want.shape
        torch.testing.assert_close(got, want, atol=GRAD_TOL, rtol=0)
    data = case.random_values(7, torch.Generator().manual_seed(4))
    data = torch.cat([data, data[:2]])  # repeated rows count twice
    gradient = exact.log_likelihood_gradient(model, data)
    for got, want in zip(gradient, brute_gradient(case, model, data)):
        assert got.shape == want.shape
        torch.testing.assert_close(got, want, atol=GRAD_TOL, rtol=0)


# ====================================================================== 4. conditionals
@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("case", CASES)
def test_hidden_probabilities_are_ratios_of_joint_probabilities(case, beta):
    model = case.make()
    _, flat = parameters(model)
    values = case.states() if case.discrete else case.random_values(9, torch.Generator().manual_seed(5))
    H = hidden_states(model.n_hidden)
    joint = (beta * minus_energy(case, flat, case.encode(values), H)).exp()  # unnormalised p(v, h)
    expected = (joint / joint.sum(1, keepdim=True)) @ H  # p(h_j = 1 | v)
    torch.testing.assert_close(model.hidden_probabilities(values, beta=beta), expected, atol=TOL, rtol=0)


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("case", CASES)
def test_visible_probabilities_are_the_conditional_of_the_joint(case, beta):
    """Binary: p(v_i = 1 | h); softmax: p(v_i = k | h) as (batch, n, K); Gaussian: E[v | h] = b + W h."""
    model = case.make()
    W, b, c = parameters(model)[1]
    H = hidden_states(model.n_hidden)
    if case.discrete:
        X = case.encode(case.states())
        joint = (beta * minus_energy(case, (W, b, c), X, H)).exp()
        expected = case.view((joint / joint.sum(0, keepdim=True)).T @ X)  # E[encoded v | h]
    else:
        expected = b + H @ W.T
    got = model.visible_probabilities(H, beta=beta)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, atol=TOL, rtol=0)


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("case", CASES)
def test_layer_mean_is_the_gradient_of_its_log_partition(case, beta):
    """The seam itself: mean(x) = d log_partition(x) / d x / beta, and log_partition by enumeration (discrete)."""
    layer = case.layer(case.n_visible)
    x = torch.randn(5, layer.size, generator=torch.Generator().manual_seed(6), dtype=torch.float64).requires_grad_()
    (grad,) = torch.autograd.grad(layer.log_partition(x, beta).sum(), x)
    torch.testing.assert_close(layer.mean(x.detach(), beta), grad / beta, atol=TOL, rtol=0)
    if case.discrete:
        X = case.encode(case.states())
        brute = torch.logsumexp(beta * (x.detach() @ X.T - case.base(X)), 1)
        torch.testing.assert_close(layer.log_partition(x.detach(), beta), brute, atol=TOL, rtol=0)


# ====================================================================== 5. Gibbs chains against exact distributions
def total_variation(case: Case, samples: torch.Tensor, p: torch.Tensor) -> float:
    frequencies = torch.bincount(case.state_index(samples), minlength=len(p)).double() / samples.shape[0]
    return 0.5 * float((frequencies - p).abs().sum())


def tv_bound(p: torch.Tensor, n: int) -> float:
    """E[TV] <= sum_i sqrt(p_i (1 - p_i) / n) / 2; one draw moves TV by at most 1/n (McDiarmid)."""
    return 0.5 * float((p * (1 - p) / n).sqrt().sum()) + math.sqrt(math.log(1 / DELTA) / (2 * n))


def moment_z_scores(samples: torch.Tensor, mean: torch.Tensor, covariance: torch.Tensor) -> float:
    """The largest |z| of the sample mean and covariance entries, with standard errors from the samples."""
    n = samples.shape[0]
    z_mean = (samples.mean(0) - mean) / (samples.var(0) / n).sqrt()
    centred = samples - mean
    products = centred[:, :, None] * centred[:, None, :]
    z_cov = (products.mean(0) - covariance) / (products.var(0) / n).sqrt()
    return max(float(z_mean.abs().max()), float(z_cov.abs().max()))


def mixture_moments(case: Case, model: RBM, beta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and covariance of v: a mixture over h of N(b + W h, I / beta) with weights p(h)."""
    _, flat = parameters(model)
    W, b, c = flat
    mu = b + hidden_states(model.n_hidden) @ W.T
    p = log_hidden_marginal(case, flat, beta).exp()
    mean = p @ mu
    covariance = torch.eye(b.shape[0], dtype=torch.float64) / beta + (mu.T * p) @ mu - torch.outer(mean, mean)
    return mean, covariance


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("case", CASES)
def test_gibbs_chains_sample_the_model_distribution(case, beta):
    """20,000 chains from one fixed state, 30 steps each: one (nearly) independent draw of p_beta(v) per chain."""
    model = case.make()
    samples = model.gibbs(case.fixed_start(N_CHAINS), steps=30, beta=beta, generator=torch.Generator().manual_seed(7))
    wrong = case.make()
    wrong.weight.mul_(1.5)
    if case.discrete:
        p = log_probability(case, parameters(model)[1], case.states(), beta).exp()
        bound = tv_bound(p, N_CHAINS)
        assert total_variation(case, samples, p) < bound, (total_variation(case, samples, p), bound)
        # power: the same statistic against a slightly different model is beyond the bound
        p_wrong = log_probability(case, parameters(wrong)[1], case.states(), beta).exp()
        assert total_variation(case, samples, p_wrong) > bound
    else:
        z = moment_z_scores(samples, *mixture_moments(case, model, beta))
        assert z < SIGMAS, z
        assert moment_z_scores(samples, *mixture_moments(case, wrong, beta)) > SIGMAS


# ====================================================================== 6. CD-k and PCD against the exact gradient
@pytest.mark.parametrize("case", CASES)
def test_cd_k_approaches_the_exact_gradient_as_k_grows(case):
    """Rows drawn from another model: CD-1 is visibly biased, CD-30 is within the chains' noise of the exact gradient.

    The data term of CD is exact; its model term is a mean over N chains of
    statistics whose variance is at most ``variance_bound``, so each entry's
    error is below SIGMAS * sqrt(that / N) once the chains have mixed.
    """
    model, teacher = case.make(seed=0), case.make(seed=8, scale=1.5 * case.scale)
    data = exact_samples(case, teacher, N_CHAINS, torch.Generator().manual_seed(9))
    truth = brute_gradient(case, model, data)
    noise = SIGMAS * math.sqrt(variance_bound(case, parameters(model)[1]) / N_CHAINS)
    errors = {k: max_error(cd_gradient(model, data, k, generator=torch.Generator().manual_seed(10)), truth) for k in (1, 30)}
    assert errors[30] < noise, (errors, noise)
    assert errors[1] > 2 * noise, (errors, noise)  # CD-1's bias is real and this test can see it


@pytest.mark.parametrize("case", CASES)
def test_pcd_from_equilibrium_chains_is_unbiased(case):
    """Chains already distributed as p(v) stay so after a Gibbs step: PCD's estimate is the exact gradient plus noise."""
    model, teacher = case.make(seed=0), case.make(seed=8, scale=1.5 * case.scale)
    data = exact_samples(case, teacher, 500, torch.Generator().manual_seed(11))
    chains = exact_samples(case, model, N_CHAINS, torch.Generator().manual_seed(12))
    gradient, advanced = pcd_gradient(model, data, chains, 1, generator=torch.Generator().manual_seed(13))
    assert advanced.shape == chains.shape and advanced.dtype == chains.dtype
    noise = SIGMAS * math.sqrt(variance_bound(case, parameters(model)[1]) / N_CHAINS)
    assert max_error(gradient, brute_gradient(case, model, data)) < noise


# ====================================================================== 7. autograd = analytic
@pytest.mark.parametrize("missing", [False, True], ids=["complete", "missing"])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("case", CASES)
def test_cd_by_autograd_equals_the_textbook_statistics(case, k, missing):
    """autograd of mean F(v) - mean F(v_k) is <v p(h|v)^T>_data - <v p(h|v)^T>_chain, for the same chain."""
    model = case.make()
    generator = torch.Generator().manual_seed(14)
    v = case.random_values(64, generator)
    if missing:
        if not model.visible.missing_allowed:
            pytest.skip(f"{type(model.visible).__name__} units have no missing values")
        v = torch.where(torch.rand(v.shape, generator=generator) < 0.3, torch.full_like(v, -1), v)
    autograd = cd_gradient(model, v, k, generator=torch.Generator().manual_seed(15))
    analytic = cd_statistics(model, v, k, generator=torch.Generator().manual_seed(15))
    assert type(autograd) is type(analytic)
    for a, s, p in zip(autograd, analytic, (model.weight, model.visible_bias, model.hidden_bias)):
        assert a.shape == s.shape == p.shape
        torch.testing.assert_close(a, s, atol=1e-10, rtol=0)
    assert all(not p.requires_grad for p in model.parameters())  # differentiable() switched gradients off again


@pytest.mark.parametrize("case", CASES)
def test_cd_loss_is_the_free_energy_difference(case):
    """cd_loss on encoded rows is mean F(v) - mean F(v_k), with v_k the chain gibbs draws from the same generator."""
    model = case.make()
    v = case.random_values(32, torch.Generator().manual_seed(16))
    values, _ = model.encode(v)
    loss = cd_loss(model, values, 2, generator=torch.Generator().manual_seed(17))
    chain = model.gibbs(v, steps=2, generator=torch.Generator().manual_seed(17))
    _, flat = parameters(model)
    H = hidden_states(model.n_hidden)
    free_energy = lambda rows: -torch.logsumexp(minus_energy(case, flat, case.encode(rows), H), 1)  # noqa: E731
    torch.testing.assert_close(loss.detach(), free_energy(v).mean() - free_energy(chain).mean(), atol=TOL, rtol=0)


# ====================================================================== 8. training
@pytest.mark.parametrize("method", ["cd", "pcd"])
@pytest.mark.parametrize("case", CASES)
def test_train_raises_the_exact_likelihood_and_is_reproducible(case, method):
    """Trained on exact samples of a teacher, a small-weight student closes most of the log-likelihood gap."""
    teacher = case.make(seed=18, scale=2 * case.scale)
    data = exact_samples(case, teacher, 1000, torch.Generator().manual_seed(19))

    def mean_log_likelihood(model):
        return float(log_probability(case, parameters(model)[1], data).mean())

    def trained():
        student = RBM(case.layer(case.n_visible), teacher.n_hidden, seed=1, dtype=torch.float64)
        history = train(student, data, epochs=20, batch_size=50, learning_rate=0.05, method=method, seed=0, progress=False)
        return student, history

    untrained = RBM(case.layer(case.n_visible), teacher.n_hidden, seed=1, dtype=torch.float64)
    before, target = mean_log_likelihood(untrained), mean_log_likelihood(teacher)
    student, history = trained()
    after = mean_log_likelihood(student)
    assert after - before > 0.7 * (target - before), (before, after, target)
    assert list(history.index) == list(range(1, 21)) and history["train_error"].notna().all()
    again, history_again = trained()
    assert history.drop(columns="seconds").equals(history_again.drop(columns="seconds"))
    for name, parameter in student.named_parameters():
        assert torch.equal(parameter, dict(again.named_parameters())[name]), name


# ====================================================================== 9. saving and loading
@pytest.mark.parametrize("case", CASES)
def test_save_and_load_round_trip(case, tmp_path):
    model = case.make(seed=20)
    v = case.random_values(50, torch.Generator().manual_seed(21))
    model.gibbs(v, steps=2)  # move the model's own generator off its seed
    path = model.save(tmp_path / "model.pt")
    loaded = type(model).load(path)
    assert type(loaded) is type(model) and loaded.visible == model.visible and type(loaded.visible) is type(model.visible)
    assert loaded.n_hidden == model.n_hidden and loaded.dtype == model.dtype
    for (name, p), (name_loaded, q) in zip(model.named_parameters(), loaded.named_parameters()):
        assert name == name_loaded and p.dtype == q.dtype and torch.equal(p, q), name
    after_load = loaded.gibbs(v, steps=3)
    after_save = model.gibbs(v, steps=3)  # the original continues from the state it was saved with
    assert torch.equal(after_load, after_save)
    assert torch.equal(loaded.gibbs(v, steps=1), model.gibbs(v, steps=1))


# ====================================================================== 10. validation
ENTRY_POINTS = {
    "free_energy": ("v", lambda model, x, good: model.free_energy(x)),
    "energy": ("v", lambda model, x, good: model.energy(x, torch.zeros(3, model.n_hidden, dtype=torch.float64))),
    "hidden_probabilities": ("v", lambda model, x, good: model.hidden_probabilities(x)),
    "gibbs": ("v", lambda model, x, good: model.gibbs(x)),
    "log_likelihood": ("v", lambda model, x, good: exact.log_likelihood(model, x)),
    "log_likelihood_gradient": ("v", lambda model, x, good: exact.log_likelihood_gradient(model, x)),
    "cd_gradient": ("v", lambda model, x, good: cd_gradient(model, x)),
    "cd_statistics": ("v", lambda model, x, good: cd_statistics(model, x)),
    "pcd_gradient chains": ("chains", lambda model, x, good: pcd_gradient(model, good, x)),
    "train": ("data", lambda model, x, good: train(model, x, epochs=1, progress=False)),
}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("case", CASES)
def test_bad_visible_values_are_refused_by_name(case, entry):
    name, call = ENTRY_POINTS[entry]
    model = case.make()
    good = case.random_values(3, torch.Generator().manual_seed(22))
    call(model, good, good)  # the good values pass
    before = [p.clone() for p in model.parameters()]
    for label, bad in case.bad_values():
        with pytest.raises(ValueError, match=rf"^{name}\b") as error:
            call(model, bad, good)
        assert "Traceback" not in str(error.value), label
    assert all(torch.equal(p, q) for p, q in zip(before, model.parameters()))  # nothing trained on bad data


@pytest.mark.parametrize("case", DISCRETE_CASES)
def test_missing_values_are_refused_where_every_unit_must_be_observed(case):
    model = case.make()
    v = case.random_values(3, torch.Generator().manual_seed(23))
    if not model.visible.missing_allowed:
        pytest.skip("this unit type has no missing values")
    v[1, 0] = -1
    model.free_energy(v)  # allowed here: the unit is left out of the row's RBM
    for call in (exact.log_likelihood, exact.log_likelihood_gradient):
        with pytest.raises(ValueError, match=r"^v\b"):
            call(model, v)


BAD_BETAS = [0, 0.0, -1.0, math.inf, math.nan, True, "1", None]
BETA_CALLS = {
    "energy": lambda model, v, h, beta: model.energy(v, h, beta=beta),
    "free_energy": lambda model, v, h, beta: model.free_energy(v, beta=beta),
    "hidden_probabilities": lambda model, v, h, beta: model.hidden_probabilities(v, beta=beta),
    "visible_probabilities": lambda model, v, h, beta: model.visible_probabilities(h, beta=beta),
    "sample_v": lambda model, v, h, beta: model.sample_v(h, beta=beta),
    "gibbs": lambda model, v, h, beta: model.gibbs(v, beta=beta),
    "log_partition": lambda model, v, h, beta: exact.log_partition(model, beta=beta),
    "log_likelihood": lambda model, v, h, beta: exact.log_likelihood(model, v, beta=beta),
    "hidden_distribution": lambda model, v, h, beta: exact.hidden_distribution(model, beta=beta),
    "visible_distribution": lambda model, v, h, beta: exact.visible_distribution(model, beta=beta),
}


@pytest.mark.parametrize("entry", list(BETA_CALLS))
@pytest.mark.parametrize("case", CASES)
def test_bad_beta_is_refused(case, entry):
    model = case.make()
    v = case.random_values(3, torch.Generator().manual_seed(24))
    h = torch.ones(3, model.n_hidden, dtype=torch.float64)
    for beta in BAD_BETAS:
        with pytest.raises(ValueError, match=r"^beta\b"):
            BETA_CALLS[entry](model, v, h, beta)
    if entry != "visible_distribution" or case.discrete:
        BETA_CALLS[entry](model, v, h, 2)  # an int beta > 0 is fine
