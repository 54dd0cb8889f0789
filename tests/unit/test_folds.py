"""Balanced folds (no JVM): the depth Spark Connect's protobuf limit cares about, and the order kept."""

from __future__ import annotations

import math

import pytest

from framework.engine.folds import balanced


def depth(tree) -> int:
    return 1 + max(depth(t) for t in tree) if isinstance(tree, tuple) else 0


def leaves(tree) -> list:
    return [leaf for t in tree for leaf in leaves(t)] if isinstance(tree, tuple) else [tree]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 31, 40, 129])
def test_a_fold_of_n_items_is_log2_deep_and_keeps_their_order(n):
    tree = balanced(list(range(n)), lambda a, b: (a, b))
    assert leaves(tree) == list(range(n))
    assert depth(tree) == math.ceil(math.log2(n))  # a left-deep chain would be n - 1 deep


def test_nothing_to_fold_is_an_error():
    with pytest.raises(ValueError):
        balanced([], lambda a, b: (a, b))
