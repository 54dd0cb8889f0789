-- One row per deleted key of a table that deletes by sequence (scd1/fact_upsert with delete_condition and sequence_by):
-- an older version of the key arriving in a later run is not applied (docs/reliability.md, deletes hold).
CREATE TABLE IF NOT EXISTS ${catalog}.${control_schema}.gold_tombstones (
  table_name  STRING NOT NULL,
  key_json    STRING NOT NULL COMMENT 'The deleted key, as JSON of the primary key columns',
  sequence    STRING NOT NULL COMMENT 'The sequence_by value of the deletion; versions at or before it stay out',
  deleted_at  TIMESTAMP NOT NULL COMMENT 'When the run recorded the deletion (tombstone_retention counts from here)',
  run_id      STRING NOT NULL
) USING DELTA
COMMENT 'Health Monitor: deleted keys that older versions must not bring back'
