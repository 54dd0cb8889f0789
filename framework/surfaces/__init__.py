"""How people and jobs reach the engine: the CLI, the notebook/job entry points, status, the SQL
endpoint, the health report and dashboards, the Databricks job commands."""
