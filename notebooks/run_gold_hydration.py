# Databricks notebook source
# MAGIC %md
# MAGIC # Gold hydration runner (all selected tables, one task)
# MAGIC Reads the control table, hydrates the selected Gold tables in dependency order, writes one
# MAGIC audit row per table. All logic lives in the `framework` package; this notebook only reads
# MAGIC parameters. Runs locally too: `python notebooks/run_gold_hydration.py --tables dim_job`.
# MAGIC The `gold_hydration` job fans out instead (plan → layer tasks → summary); this notebook is
# MAGIC the one-task way for ad-hoc runs.

# COMMAND ----------

# MAGIC %pip install pandera==0.35.0 pyyaml

# COMMAND ----------

import os
import sys

try:
    dbutils  # noqa: F821  (defined by the Databricks runtime)
    ON_DATABRICKS = True
except NameError:
    ON_DATABRICKS = False
# the bundle's synced files (Databricks) or the repository (local script) hold the package
sys.path.insert(0, os.path.abspath(os.path.join(os.getcwd() if ON_DATABRICKS else os.path.dirname(__file__), "..")))

from framework.surfaces.notebook import local_session, location, parameters

params = parameters({"tables": "", "domain": "", "full_refresh": "false", "job_run_id": ""}, dbutils if ON_DATABRICKS else None)  # noqa: F821
session = spark if ON_DATABRICKS else local_session(params)  # noqa: F821

# COMMAND ----------

from framework.surfaces.entry import run_gold_hydration

run_gold_hydration(session, **location(params), tables=params["tables"], domain=params["domain"],
                   full_refresh=params["full_refresh"], job_run_id=params["job_run_id"])
