-- Append-only: one row per Gold table per run. Counts come from the Delta commit's metrics.
CREATE TABLE IF NOT EXISTS ${catalog}.${control_schema}.gold_run_audit (
  run_id                 STRING NOT NULL,
  job_run_id             STRING,
  table_name             STRING NOT NULL,
  domain                 STRING,
  load_type              STRING,
  status                 STRING NOT NULL COMMENT 'SUCCEEDED | FAILED | SKIPPED | VALIDATION_FAILED',
  started_at             TIMESTAMP NOT NULL,
  ended_at               TIMESTAMP NOT NULL,
  duration_seconds       DOUBLE,
  rows_read              BIGINT,
  rows_deduplicated      BIGINT COMMENT 'Source rows dropped as duplicates or older versions',
  rows_inserted          BIGINT,
  rows_updated           BIGINT,
  rows_deleted           BIGINT,
  rows_quarantined       BIGINT,
  watermark_from         STRING,
  watermark_to           STRING,
  target_version         BIGINT COMMENT 'Delta version written; NULL when nothing was written',
  full_refresh           BOOLEAN,
  unused_source_columns  ARRAY<STRING> COMMENT 'Source columns no mapping uses (reported, ignored)',
  failed_checks          ARRAY<STRING>,
  error_message          STRING,
  step_seconds           MAP<STRING, DOUBLE> COMMENT 'Wall-clock seconds per step of the run (fingerprint, read, prepare, validate, merge, ...)',
  recovered_from         STRING COMMENT 'The run that crashed after its Gold commit, before the control row recorded it; this run took the state up from the marker of that commit'
) USING DELTA
COMMENT 'Health Monitor: run audit, one row per table per run'
