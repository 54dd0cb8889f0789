-- One row per Gold table: its metadata (what to load and how) and its state (watermark, last run).
-- Reference: docs/control-table.md. ${...} placeholders are run parameters.
CREATE TABLE IF NOT EXISTS ${catalog}.${control_schema}.gold_table_control (
  table_name        STRING NOT NULL COMMENT 'Gold table name, the key',
  domain            STRING NOT NULL COMMENT 'Monitoring domain, e.g. billing',
  enabled           BOOLEAN NOT NULL COMMENT 'Disabled rows are skipped and audited as SKIPPED',
  source_table      STRING NOT NULL COMMENT 'Source table; placeholders such as ${catalog} are run parameters',
  source_filter     STRING COMMENT 'SQL predicate on the source',
  load_type         STRING NOT NULL COMMENT 'scd1 | scd2 | fact_upsert | fact_insert | snapshot',
  primary_keys      ARRAY<STRING> NOT NULL COMMENT 'The Gold grain',
  sequence_by       STRING COMMENT 'Source expression ordering versions of one key; latest wins',
  watermark_column  STRING COMMENT 'Source column for incremental reads; NULL reads all',
  lookback          STRING COMMENT 'Interval re-read behind the watermark, e.g. 2 days',
  columns           ARRAY<STRUCT<name: STRING, expr: STRING, type: STRING, nullable: BOOLEAN, comment: STRING>> NOT NULL COMMENT 'Every Gold column: expression over the source row and joins, declared type',
  joins             ARRAY<STRUCT<table: STRING, alias: STRING, on: STRING, how: STRING>> COMMENT 'Lookups joined to the source (source alias is s)',
  checks            ARRAY<STRUCT<column: STRING, check: STRING, args: STRING, severity: STRING, name: STRING>> COMMENT 'pandera checks on the mapped batch; args is JSON',
  depends_on        ARRAY<STRING> COMMENT 'Gold tables to hydrate first',
  delete_condition  STRING COMMENT 'Source predicate marking a deletion of its key',
  track_columns     ARRAY<STRING> COMMENT 'scd2: Gold columns whose change opens a new version',
  aggregate         BOOLEAN COMMENT 'Key columns are GROUP BY expressions, the others aggregates',
  freshness_sla     STRING COMMENT 'How stale the table may get, e.g. 1 day (dashboards)',
  description       STRING COMMENT 'What the Gold table holds',
  spec_version      INT COMMENT 'Version of the metadata language the row was written with',
  explode           STRUCT<expr: STRING, alias: STRING, outer: BOOLEAN, position: STRING> COMMENT 'One source row per element of the array expr, named alias (position: its index); outer keeps empty/NULL arrays as one row',
  watermark_value   STRING COMMENT 'STATE: high-water mark of the last successful run',
  last_run_id       STRING COMMENT 'STATE',
  last_status       STRING COMMENT 'STATE',
  last_run_at       TIMESTAMP COMMENT 'STATE',
  input_versions    STRING COMMENT 'STATE: metadata hash and Delta versions of source, joins and Gold at the last success; unchanged inputs mean nothing to do',
  updated_at        TIMESTAMP COMMENT 'When the metadata last changed',
  updated_by        STRING COMMENT 'Who changed the metadata'
) USING DELTA
COMMENT 'Health Monitor: one metadata row per Gold table'
