"""Tests of rbm_helpers.recommend: top-k, titles, and what hidden units learned."""
import numpy as np
import pandas as pd
import pytest
import torch

from rbm_helpers import RBM
from rbm_helpers.data import RatingsIndex
from rbm_helpers.recommend import hidden_unit_genres, hidden_unit_movies, liked_movies, movies_by_column, recommend, top_k


def test_top_k_skips_rated_movies_puts_the_best_first_and_breaks_ties_by_column():
    scores = torch.tensor([[0.9, 0.8, 0.8, 0.1, 0.8], [0.1, 0.2, 0.3, 0.4, 0.5]], dtype=torch.float64)
    train = torch.tensor([[1, -1, -1, -1, -1], [-1, 0, 1, 1, 1]], dtype=torch.float64)
    assert top_k(scores, train, 3).tolist() == [[1, 2, 4], [0, -1, -1]]
    with pytest.raises(ValueError, match="k must be"):
        top_k(scores, train, 0)
    with pytest.raises(ValueError, match="shape of train_matrix"):
        top_k(scores[:, :3], train, 1)


@pytest.fixture()
def catalogue():
    index = RatingsIndex(np.array([10, 20]), np.array([3, 1, 2]))  # sorted: item ids 1, 2, 3
    movies = pd.DataFrame(
        {"item_id": [3, 1, 2], "title": ["C", "A", "B"], "genres": ["Drama", "Comedy", "Comedy|Drama"],
         "Comedy": [0, 1, 1], "Drama": [1, 0, 1]}
    )
    return index, movies


def test_recommend_and_liked_movies_use_the_right_titles(catalogue):
    index, movies = catalogue
    assert list(movies_by_column(index, movies)["title"]) == ["A", "B", "C"]
    scores = torch.tensor([[0.2, 0.9, 0.5], [0.1, 0.1, 0.1]], dtype=torch.float64)
    train = torch.tensor([[-1, -1, 0], [1, -1, -1]], dtype=torch.float64)
    table = recommend(scores, train, index, movies, user_id=10, k=5)
    assert list(table["title"]) == ["B", "A"] and table["p(liked)"].tolist() == [0.9, 0.2]
    assert list(liked_movies(train, index, movies, 10)["title"]) == ["C"]
    with pytest.raises(ValueError, match="not in this RatingsIndex"):
        recommend(scores, train, index, movies, user_id=99)


def test_hidden_units_report_their_largest_weights_and_genre_lift(catalogue):
    index, movies = catalogue
    rbm = RBM(3, 2, seed=0)
    rbm.weight.copy_(torch.tensor([[0.1, 2.0], [0.3, 1.0], [0.2, -1.0]]))  # columns: A, B, C
    table = hidden_unit_movies(rbm, index, movies, top=2)
    assert table.loc[0, "top movies"] == "B | C" and table.loc[1, "top movies"] == "A | B"
    assert table.loc[0, "bottom movies"] == "A | C" and table.loc[1, "bottom movies"] == "C | B"
    lift = hidden_unit_genres(rbm, index, movies, ["Comedy", "Drama"], top_movies=1)
    # unit 0's favourite is B (Comedy and Drama, each in 2 of 3 movies), unit 1's is A (Comedy only)
    assert lift.loc[0].tolist() == pytest.approx([1.5, 1.5])
    assert lift.loc[1].tolist() == pytest.approx([1.5, 0.0])
    with pytest.raises(ValueError, match="not columns"):
        hidden_unit_genres(rbm, index, movies, ["Western"])


def test_diversity_counts_distinct_movies_and_the_most_common_one():
    from rbm_helpers.recommend import diversity

    lists = torch.tensor([[3, 1], [3, 2], [0, 3], [2, -1]])
    result = diversity(lists)
    assert result == {"lists": 4, "distinct_movies": 4, "most_common_column": 3, "most_common_share": 0.75}
    with pytest.raises(ValueError):
        diversity(torch.full((2, 2), -1))
