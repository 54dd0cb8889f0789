-- One row per rejected source row and failed check (severity warn).
CREATE TABLE IF NOT EXISTS ${catalog}.${control_schema}.gold_quarantine (
  run_id          STRING NOT NULL,
  table_name      STRING NOT NULL,
  check_name      STRING NOT NULL,
  severity        STRING NOT NULL,
  row_json        STRING,
  quarantined_at  TIMESTAMP NOT NULL
) USING DELTA
COMMENT 'Health Monitor: rows moved aside by warn-severity checks'
