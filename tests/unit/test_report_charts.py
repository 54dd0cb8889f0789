"""The health report's charts drawn from plain rows, without Spark (the report over a real run:
tests/spark/test_dashboards.py and the demo world's tests/spark/test_coverage_surfaces.py)."""

from __future__ import annotations

import io
import warnings
from datetime import datetime, timedelta

import pytest

from framework.surfaces.report import _trend_chart


@pytest.mark.parametrize("tables", [1, 13, 37, 60])
def test_a_trend_chart_keeps_its_plot_whatever_the_number_of_tables(tables):
    """One legend entry per table: with the 37 Gold tables of the demo the legend outgrew a fixed
    3.4-inch figure and matplotlib collapsed the plot to nothing (it only warned)."""
    start = datetime(2026, 2, 1)
    rows = [{"table_name": f"fact_table_number_{t:02d}_with_a_long_name", "started_at": start + timedelta(hours=run),
             "rows_read": 10 * t + run} for t in range(tables) for run in range(3)]
    figure = _trend_chart(rows, "rows_read", "Rows read")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "constrained_layout not applied because axes sizes collapsed to zero"
        figure.savefig(io.BytesIO(), format="png")
    ax = figure.axes[0]
    width, height = ax.get_window_extent().width, ax.get_window_extent().height
    assert width >= 250 and height >= 150, (width, height)  # pixels at 100 dpi: a plot one can read
    assert len(ax.get_legend().get_texts()) == tables
