# Databricks notebook source
# MAGIC %md
# MAGIC # Gold hydration runner
# MAGIC Reads the control table, hydrates the selected Gold tables in dependency order, writes one
# MAGIC audit row per table. All logic lives in the `framework` package; this notebook only reads
# MAGIC parameters. Runs locally too: `python notebooks/run_gold_hydration.py --tables dim_job`.

# COMMAND ----------

# MAGIC %pip install pandera==0.35.0 pyyaml

# COMMAND ----------

import os
import sys

try:  # on Databricks: widgets carry the job parameters
    dbutils  # noqa: F821  (defined by the Databricks runtime)
    ON_DATABRICKS = True
except NameError:
    ON_DATABRICKS = False

if not ON_DATABRICKS:  # a plain script: make the repository importable and read argv
    import argparse

    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
    parser = argparse.ArgumentParser(description="Gold hydration runner (local)")
    for name, default in (("catalog", "spark_catalog"), ("bronze_schema", "bronze"), ("gold_schema", "gold"),
                          ("control_schema", "control"), ("tables", ""), ("domain", ""), ("full_refresh", "false"),
                          ("job_run_id", ""), ("home", os.environ.get("HEALTHMON_HOME", "./.lakehouse"))):
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, default=default)
    params = vars(parser.parse_args())
else:
    sys.path.insert(0, os.path.abspath(os.path.join(os.getcwd(), "..")))  # the bundle's synced files
    for name, default in (("catalog", "main"), ("bronze_schema", "bronze"), ("gold_schema", "gold"),
                          ("control_schema", "control"), ("tables", ""), ("domain", ""), ("full_refresh", "false"),
                          ("job_run_id", "")):
        dbutils.widgets.text(name, default)  # noqa: F821
    params = {name: dbutils.widgets.get(name) for name in  # noqa: F821
              ("catalog", "bronze_schema", "gold_schema", "control_schema", "tables", "domain", "full_refresh", "job_run_id")}
    params["home"] = None

# COMMAND ----------

from framework.entry import run_gold_hydration

if ON_DATABRICKS:
    session = spark  # noqa: F821  (the runtime's session)
else:
    from framework.session import local_spark

    session = local_spark(params["home"])

run_gold_hydration(session, **params)
