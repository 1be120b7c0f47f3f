"""Run under torchrun by tests/test_distributed.py: one step's gradient, split across processes and all-reduced.

Every process builds the same model and the same batch of entry rows with
fixed negative samples, takes every world-th row, computes its share of the
contrastive loss and all-reduces the gradients; rank 0 saves them.
"""
import sys

import torch
import torch.distributed as dist

from rbm_helpers.distributed import all_reduce_gradients, finish, init_from_environment
from rbm_helpers.sparse_rows import SparseRows, entry_free_energy
from shared import model_and_batch  # tests/workers/shared.py, beside this script

rank, world = init_from_environment(torch.device("cpu"))
model, categories, negative = model_and_batch()
rows = torch.arange(categories.shape[0])
share = rows[rank::world]
store, negative_store = SparseRows.from_dense(categories), SparseRows.from_dense(negative)
with model.differentiable():
    batch, negative_batch = store.batch(share), negative_store.batch(share)
    loss = (entry_free_energy(model, batch).sum() - entry_free_energy(model, negative_batch).sum()) / rows.numel()
    loss.backward()
    all_reduce_gradients(model.trainable_parameters().values())
    if rank == 0:
        torch.save({name: p.grad.to_dense() for name, p in model.trainable_parameters().items()}, sys.argv[1])
dist.barrier()
finish()
