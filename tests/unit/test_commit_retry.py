"""Retrying lost Delta commit races: conflicts are retried with backoff, anything else is not."""

from __future__ import annotations

import pytest

from framework.platform.commit_retry import (
    CommitConflictError,
    conflict_name,
    retry_on_conflict,
)


class FakeJavaError(Exception):
    """Shaped like a py4j error: the JVM class appears only in the message."""


def flaky(conflicts: int, message: str = "io.delta.exceptions.ConcurrentAppendException: Files were added"):
    calls = []

    def action():
        calls.append(1)
        if len(calls) <= conflicts:
            raise FakeJavaError(message)
        return "committed"

    return action, calls


def test_a_conflict_is_retried_with_growing_waits_until_it_commits():
    action, calls = flaky(2)
    waits = []
    assert retry_on_conflict(action, what="state", sleep=waits.append, base_delay=1.0) == "committed"
    assert len(calls) == 3
    assert 1.0 <= waits[0] < 2.0 and 2.0 <= waits[1] < 4.0


def test_other_errors_are_not_retried():
    action, calls = flaky(1, "AnalysisException: table not found")
    with pytest.raises(FakeJavaError):
        retry_on_conflict(action, what="state", sleep=lambda _: None)
    assert len(calls) == 1


def test_giving_up_names_the_work_and_the_conflict():
    action, calls = flaky(10, "boom ConcurrentDeleteReadException: a file was removed")
    with pytest.raises(CommitConflictError) as caught:
        retry_on_conflict(action, what="recording state of dim_job", attempts=3, sleep=lambda _: None)
    assert len(calls) == 3
    assert str(caught.value) == "recording state of dim_job: still losing to concurrent writers after 3 attempt(s) (ConcurrentDeleteReadException)"
    assert conflict_name(FakeJavaError("[DELTA_CONCURRENT_APPEND] files added")) == "DELTA_CONCURRENT_"
