# Databricks notebook source
# MAGIC %md
# MAGIC # Bootstrap: schemas, control and audit tables, onboarding files
# MAGIC Thin: reads widgets, calls `framework.entry.bootstrap_lakehouse`.

# COMMAND ----------

# MAGIC %pip install pandera==0.35.0 pyyaml

# COMMAND ----------

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.getcwd(), "..")))  # the bundle's synced files

for name, default in (("catalog", "main"), ("bronze_schema", "bronze"), ("gold_schema", "gold"), ("control_schema", "control")):
    dbutils.widgets.text(name, default)  # noqa: F821
params = {name: dbutils.widgets.get(name) for name in ("catalog", "bronze_schema", "gold_schema", "control_schema")}  # noqa: F821

# COMMAND ----------

from framework.entry import bootstrap_lakehouse

bootstrap_lakehouse(spark, **params)  # noqa: F821
