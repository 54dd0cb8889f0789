# Databricks notebook source
# MAGIC %md
# MAGIC # Summary: did every planned table succeed in this job run?
# MAGIC Runs after all layers whatever their outcome, prints each table's latest audit row of this
# MAGIC job run, and fails (so the job run fails) when a planned table failed or never ran.

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
sys.path.insert(0, os.path.abspath(os.path.join(os.getcwd() if ON_DATABRICKS else os.path.dirname(__file__), "..")))

from framework.surfaces.notebook import local_session, location, parameters

params = parameters({"planned": "", "job_run_id": ""}, dbutils if ON_DATABRICKS else None)  # noqa: F821
session = spark if ON_DATABRICKS else local_session(params)  # noqa: F821

# COMMAND ----------

from framework.surfaces.entry import summarize_gold_hydration

summarize_gold_hydration(session, **location(params), job_run_id=params["job_run_id"], planned=params["planned"])
