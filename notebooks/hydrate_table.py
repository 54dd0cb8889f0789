# Databricks notebook source
# MAGIC %md
# MAGIC # Hydrate one Gold table (one iteration of a layer task)
# MAGIC `table` comes from the layer's for-each input. A table whose upstream failed earlier in the
# MAGIC same job run is audited SKIPPED. Thin: all logic is `framework.surfaces.entry.hydrate_table_task`.

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

params = parameters({"table": "", "full_refresh": "false", "job_run_id": ""}, dbutils if ON_DATABRICKS else None)  # noqa: F821
session = spark if ON_DATABRICKS else local_session(params)  # noqa: F821

# COMMAND ----------

from framework.surfaces.entry import hydrate_table_task

hydrate_table_task(session, **location(params), table=params["table"], full_refresh=params["full_refresh"], job_run_id=params["job_run_id"])
