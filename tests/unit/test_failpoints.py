"""Failpoints: armed by one environment variable, for one table or any, raising or killing (no JVM)."""

from __future__ import annotations

import pytest

from framework.engine import failpoints


def test_an_unarmed_point_does_nothing_and_an_armed_one_crashes_only_where_it_is_armed(monkeypatch):
    monkeypatch.delenv(failpoints.ENV, raising=False)
    failpoints.reached("after_gold_commit", ("t",))
    monkeypatch.setenv(failpoints.ENV, "after_gold_commit@t")
    failpoints.reached("after_read", ("t",))  # another point
    failpoints.reached("after_gold_commit", ("u",))  # another table
    with pytest.raises(failpoints.InjectedCrash, match="failpoint after_gold_commit"):
        failpoints.reached("after_gold_commit", ("u", "t"))
    monkeypatch.setenv(failpoints.ENV, "after_audit")
    with pytest.raises(failpoints.InjectedCrash):
        failpoints.reached("after_audit", ())  # any table
    assert not issubclass(failpoints.InjectedCrash, Exception)  # passes the runner's `except Exception`


def test_the_kill_suffix_and_a_wrong_point(monkeypatch):
    monkeypatch.setenv(failpoints.ENV, "after_quarantine@fact_usage:kill")
    assert failpoints.armed() == ("after_quarantine", "fact_usage", True)
    monkeypatch.setenv(failpoints.ENV, "after_lunch")
    with pytest.raises(ValueError, match="must be one of after_read, after_validate, after_quarantine, between_gold_commits, after_gold_commit, after_audit"):
        failpoints.armed()
