"""Many conditions (or frames) combined into one as a balanced tree, never as a left-deep chain.

Spark Connect ships every expression and plan as nested protobuf messages, and the Python
client's protobuf decoder refuses messages nested more than 100 levels deep ("Exceeded
upb_DecodeOptions_MaxDepth"). ``a & b & c & ...`` over the ~30 compared columns of a wide Gold
table is a chain that deep: it worked on a classic session and failed on Spark Connect. Halving
the list at each level keeps the depth at log2(n).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

T = TypeVar("T")


def balanced(items: Sequence[T], combine: Callable[[T, T], T]) -> T:
    """``combine`` over ``items`` (at least one), as a tree of depth ceil(log2(len(items)))."""
    if not items:
        raise ValueError("nothing to combine")
    level = list(items)
    while len(level) > 1:
        pairs = [combine(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = pairs + ([level[-1]] if len(level) % 2 else [])
    return level[0]


def all_of(conditions: Sequence[Column]) -> Column:
    """TRUE when every condition is (SQL ``AND``); ``lit(True)`` for none."""
    return balanced(conditions, lambda a, b: a & b) if conditions else F.lit(True)


def any_of(conditions: Sequence[Column]) -> Column:
    """TRUE when some condition is (SQL ``OR``); ``lit(False)`` for none."""
    return balanced(conditions, lambda a, b: a | b) if conditions else F.lit(False)


def union_all(frames: Sequence[DataFrame]) -> DataFrame:
    """The frames' rows together, columns matched by name."""
    return balanced(frames, lambda a, b: a.unionByName(b))
