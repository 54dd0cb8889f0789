"""A DataFrame computed once and kept by the session (``localCheckpoint``), on classic and Spark Connect.

The engine materializes the validated batch and the MERGE source so that every later action
reads the same rows. Where the engine's next step is itself an action over all of the rows (the
batch's one statistics scan, the diff's emptiness check), the DataFrame is kept lazily: that action
computes the rows and keeps them, in one Spark job instead of the eager checkpoint's job and then
its own (decision 157). On Spark Connect, pyspark 4.0.1 hands the checkpointed DataFrame to
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


def materialize(df, *, eager: bool = True):
    """``df.localCheckpoint(eager)``, bound to ``df``'s own session.

    ``eager=False``: computed by the first action that reads it (which then keeps the rows for
    every later one), for a caller whose very next step is such an action anyway.
    """
    session = df.sparkSession
    if not is_connect(session):
        return df.localCheckpoint(eager=eager)
    with _active_in_this_thread(session):
        kept = df.localCheckpoint(eager=eager)
    made_by, bound_to = (getattr(s, "session_id", id(s)) for s in (session, kept.sparkSession))
    if made_by != bound_to:  # a pyspark that binds it differently again: fail here, clearly
        raise UnsupportedPysparkError(f"localCheckpoint of Spark Connect session {made_by} came back bound to session {bound_to}")
    return kept
