"""Which platform runs the framework, for the few statements only one of them accepts.

Databricks sets ``DATABRICKS_RUNTIME_VERSION`` in every notebook and job process, classic or
serverless (a Spark Connect client process too); a laptop, CI or a local Spark Connect server
does not. ``CLUSTER BY AUTO`` (predictive optimization chooses the clustering columns) parses
only there; open-source Delta rejects it.
"""

from __future__ import annotations

import os

RUNTIME_VARIABLE = "DATABRICKS_RUNTIME_VERSION"


def on_databricks() -> bool:
    return bool(os.environ.get(RUNTIME_VARIABLE))
