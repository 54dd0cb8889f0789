-- One row per row set aside and failed rule: a check whose severity is quarantine, a NULL in a NOT NULL column, a conflicting key.
CREATE TABLE IF NOT EXISTS ${catalog}.${control_schema}.gold_quarantine (
  run_id          STRING NOT NULL,
  table_name      STRING NOT NULL,
  check_name      STRING NOT NULL,
  severity        STRING NOT NULL,
  row_json        STRING,
  quarantined_at  TIMESTAMP NOT NULL
) USING DELTA
COMMENT 'Health Monitor: rows set aside by checks, NULL keys and conflicting keys'
