# Databricks notebook source
# MAGIC %md
# MAGIC # Plan: which tables run in which layer
# MAGIC Reads the control table and publishes task values `layer_0` ... `layer_3` (arrays of table
# MAGIC names, each after the layers it depends on) and `tables`; the job's `layer_<k>` for-each
# MAGIC tasks iterate on them. Thin: all logic is `framework.surfaces.entry.plan_gold_hydration`.

# COMMAND ----------

# MAGIC %pip install pandera==0.35.0 pyyaml

# COMMAND ----------

import json
import os
import sys

try:
    dbutils  # noqa: F821  (defined by the Databricks runtime)
    ON_DATABRICKS = True
except NameError:
    ON_DATABRICKS = False
sys.path.insert(0, os.path.abspath(os.path.join(os.getcwd() if ON_DATABRICKS else os.path.dirname(__file__), "..")))

from framework.surfaces.notebook import local_session, location, parameters

params = parameters({"tables": "", "domain": ""}, dbutils if ON_DATABRICKS else None)  # noqa: F821
session = spark if ON_DATABRICKS else local_session(params)  # noqa: F821

# COMMAND ----------

from framework.surfaces.entry import plan_gold_hydration

values = plan_gold_hydration(session, **location(params), tables=params["tables"], domain=params["domain"])
if ON_DATABRICKS:
    for key, value in values.items():
        dbutils.jobs.taskValues.set(key=key, value=value)  # noqa: F821
else:  # a local script prints the task values it would set
    print(json.dumps(values))
