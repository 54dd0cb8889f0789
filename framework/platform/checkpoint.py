"""A DataFrame computed once and kept by the session (``localCheckpoint``), on classic and Spark Connect.

The engine materializes the validated batch and the MERGE source so that every later action
reads the same rows. On Spark Connect, pyspark 4.0.1 hands the checkpointed DataFrame to
``SparkSession.active()`` - the calling thread's active session, else the process's first one -
instead of the session that made it; the server keeps the rows under the session that made it,
so a process holding several Connect sessions (fan-out tasks in threads, notebook runs in one
interpreter) failed with "No DataFrame with id ... is found in the session ...". The DataFrame's
own session is therefore made the thread's active one for the call. A single-session process
(a Databricks notebook, ``healthmon``) is unaffected either way.
"""

from __future__ import annotations

from contextlib import contextmanager

from framework.errors import UnsupportedPysparkError
from framework.platform.session import is_connect


@contextmanager
def _active_in_this_thread(session):
    """``session`` as this thread's active Spark Connect session for the block (restored after).

    A pyspark without that thread-local (not 4.0) is left alone; the check in :func:`materialize`
    then says whether it needed it.
    """
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    holder = getattr(ConnectSession, "_active_session", None)  # a threading.local in pyspark 4.0
    if holder is None:
        yield
        return
    before = getattr(holder, "session", None)
    holder.session = session
    try:
        yield
    finally:
        holder.session = before


def materialize(df):
    """``df.localCheckpoint(eager=True)``, bound to ``df``'s own session."""
    session = df.sparkSession
    if not is_connect(session):
        return df.localCheckpoint(eager=True)
    with _active_in_this_thread(session):
        kept = df.localCheckpoint(eager=True)
    made_by, bound_to = (getattr(s, "session_id", id(s)) for s in (session, kept.sparkSession))
    if made_by != bound_to:  # a pyspark that binds it differently again: fail here, clearly
        raise UnsupportedPysparkError(f"localCheckpoint of Spark Connect session {made_by} came back bound to session {bound_to}")
    return kept
