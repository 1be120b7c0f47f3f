"""The model and batch both sides of the distributed gradient test build from the same seeds."""
import torch

from rbm_helpers.softmax_conditional import ConditionalSoftmaxRBM


def model_and_batch():
    """A tied softmax RBM (float64), 9 rows of categories with absent units, and fixed negative samples at the same entries."""
    generator = torch.Generator().manual_seed(0)
    model = ConditionalSoftmaxRBM(12, 4, 5, tied=True, conditional=False, seed=1, dtype=torch.float64, init_std=0.5)
    categories = torch.randint(0, 4, (9, 12), generator=generator)
    categories[torch.rand(9, 12, generator=generator) < 0.5] = -1
    negative = torch.where(categories >= 0, torch.randint(0, 4, (9, 12), generator=generator), categories)
    return model, categories, negative
