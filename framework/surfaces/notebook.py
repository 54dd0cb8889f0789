"""Parameters for the thin notebooks, read the same way on Databricks and on a laptop.

On Databricks a job task's parameters arrive as widgets (strings) and the runtime's ``spark`` is
used as is (a Spark Connect session on serverless); run as a plain script the same names are
``--options``, plus ``--remote`` for a Spark Connect server. Every notebook takes the lakehouse
location (catalog and schemas) plus its own parameters, so this is the only place that knows how
to read them.
"""

from __future__ import annotations

import argparse
import os

LOCATION = {"catalog": "main", "bronze_schema": "bronze", "gold_schema": "gold", "control_schema": "control"}


def parameters(own: dict[str, str], dbutils=None, argv: list[str] | None = None) -> dict[str, str | None]:
    """Lakehouse location + ``own`` parameters (name -> default); ``home`` is None on Databricks."""
    names = {**LOCATION, **own}
    if dbutils is not None:
        for name, default in names.items():
            dbutils.widgets.text(name, default)
        values: dict[str, str | None] = {name: dbutils.widgets.get(name) for name in names}
        values["home"] = None
        return values
    parser = argparse.ArgumentParser(description="run a healthmon notebook as a local script")
    local_defaults = {**names, "catalog": "spark_catalog", "home": os.environ.get("HEALTHMON_HOME", "./.lakehouse"),
                      "remote": os.environ.get("SPARK_REMOTE")}
    for name, default in local_defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, default=default)
    return vars(parser.parse_args(argv))


def local_session(values: dict[str, str | None]):
    """The session of a plain-script run over ``home``: a Spark Connect client of ``--remote``
    (or of a running ``healthmon serve`` over ``home``), else a local Spark + Delta session."""
    from framework.platform.server_file import serving_url
    from framework.platform.session import spark_session

    return spark_session(values["home"], remote=values.get("remote") or serving_url(values["home"]))


def location(values: dict[str, str | None]) -> dict[str, str | None]:
    """The keyword arguments every entry point takes: catalog, schemas and home."""
    return {name: values[name] for name in (*LOCATION, "home")}
