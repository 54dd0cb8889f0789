# Databricks notebook source
# MAGIC %md
# MAGIC # Bootstrap: schemas, control and audit tables, dashboard views, onboarding files
# MAGIC Thin: reads parameters, calls `framework.surfaces.entry.bootstrap_lakehouse`. Runs locally too:
# MAGIC `python notebooks/bootstrap.py --home ./.lakehouse`.

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

params = parameters({}, dbutils if ON_DATABRICKS else None)  # noqa: F821
session = spark if ON_DATABRICKS else local_session(params)  # noqa: F821

# COMMAND ----------

from framework.surfaces.entry import bootstrap_lakehouse

onboarded = bootstrap_lakehouse(session, **location(params))
print(f"onboarded {len(onboarded)} Gold tables: {', '.join(onboarded)}")
