"""MovieLens, checksummed and cached, a synthetic stand-in, splits, and rating matrices.

    from rbm_helpers.data import load_movielens, RatingsIndex, ratings_matrix
    ratings = load_movielens("ml-100k")              # or "ml-1m", "ml-10m" ... "ml-32m", "ml-latest-small", "synthetic"
    index = RatingsIndex.from_ratings(ratings)
    visible = ratings_matrix(ratings, index, binary=True)   # liked 1 / disliked 0 / unrated -1

Modules, one idea each: ``sources`` (cache folder, download, verification),
``movielens`` (file formats and loaders), ``synthetic`` (the offline data
set), ``splits`` (hold-out splits), ``matrices`` (users x movies tensors) and
``images`` (digits for notebook 07).
Introduced in notebook 03 (Train an RBM on MovieLens); splits in notebook 05.
"""
from .images import ImageData, fetch_mnist, load_digits, load_mnist, split_images
from .matrices import DEFAULT_MAX_DENSE_BYTES, RatingsIndex, dense_rows, ratings_matrix, sparse_ratings_matrix
from .movielens import DATASET_NAMES, load_fold, load_movielens, load_movies
from .sources import (
    DATASETS,
    ML100K_FOLDS,
    DataUnavailableError,
    DatasetStatus,
    UnverifiedDataWarning,
    cache_dir,
    dataset_status,
    fetch,
)
from .splits import holdout_split
from .synthetic import make_synthetic

__all__ = [
    "DATASETS",
    "DATASET_NAMES",
    "DEFAULT_MAX_DENSE_BYTES",
    "ML100K_FOLDS",
    "DataUnavailableError",
    "DatasetStatus",
    "ImageData",
    "RatingsIndex",
    "UnverifiedDataWarning",
    "cache_dir",
    "dataset_status",
    "dense_rows",
    "fetch",
    "fetch_mnist",
    "holdout_split",
    "load_digits",
    "load_fold",
    "load_movielens",
    "load_mnist",
    "load_movies",
    "make_synthetic",
    "ratings_matrix",
    "sparse_ratings_matrix",
    "split_images",
]
