"""Where the framework runs: the Spark session, the lakehouse (schemas, tables, local catalog),
SQL text, run parameters, the files it ships. Knows nothing of metadata or the engine."""
