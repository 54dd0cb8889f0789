-- Dashboard views over the audit, quarantine and control tables (SPEC §4: they live beside them
-- in the control schema). Created (replaced) by every bootstrap, in this order: a view may read
-- one defined above it. Valid in Spark 4 and Databricks SQL alike: no Spark-only syntax, every
-- division guarded by NULLIF, so an empty audit table gives empty (or zero) results, not errors.
-- Reference: docs/dashboards.md. One statement per view, each ending with ';' at the end of a line.

-- Success rate per day. SKIPPED rows are counted but left out of the rate: a dependency skip
-- follows a failure already counted, a disabled table is not a failed one.
CREATE OR REPLACE VIEW ${catalog}.${control_schema}.v_run_daily
COMMENT 'Health Monitor: table runs per day by status, success rate'
AS
SELECT
  CAST(started_at AS DATE)                                   AS run_date,
  count(DISTINCT run_id)                                     AS runs,
  count(*)                                                   AS table_runs,
  count_if(status = 'SUCCEEDED')                             AS succeeded,
  count_if(status = 'FAILED')                                AS failed,
  count_if(status = 'VALIDATION_FAILED')                     AS validation_failed,
  count_if(status = 'SKIPPED')                               AS skipped,
  round(100.0 * count_if(status = 'SUCCEEDED')
        / NULLIF(count_if(status IN ('SUCCEEDED', 'FAILED', 'VALIDATION_FAILED')), 0), 1)
                                                             AS success_rate_pct
FROM ${catalog}.${control_schema}.gold_run_audit
GROUP BY CAST(started_at AS DATE);

-- One row per table per run: rows processed and duration, for trends.
CREATE OR REPLACE VIEW ${catalog}.${control_schema}.v_run_history
COMMENT 'Health Monitor: rows processed and duration per table per run'
AS
SELECT
  run_id,
  job_run_id,
  table_name,
  domain,
  status,
  started_at,
  ended_at,
  CAST(started_at AS DATE)                                   AS run_date,
  duration_seconds,
  rows_read,
  rows_inserted,
  rows_updated,
  rows_deleted,
  rows_quarantined,
  coalesce(rows_inserted, 0) + coalesce(rows_updated, 0) + coalesce(rows_deleted, 0)
                                                             AS rows_written,
  target_version
FROM ${catalog}.${control_schema}.gold_run_audit;

-- Per onboarded table: the last successful run against the freshness_sla of its control row.
-- The SLA is '<n> <unit>' (unit second|minute|hour|day|week|month|year, plural allowed; month =
-- 30 days, year = 365 days), parsed with split_part/try_cast (same result in Spark and
-- Databricks SQL). sla_status: DISABLED, NEVER_SUCCEEDED, NO_SLA, INVALID_SLA, LATE or OK.
CREATE OR REPLACE VIEW ${catalog}.${control_schema}.v_table_freshness
COMMENT 'Health Monitor: per table, time since the last successful run vs its freshness_sla'
AS
WITH last_ok AS (
  SELECT table_name, max(ended_at) AS last_success_at
  FROM ${catalog}.${control_schema}.gold_run_audit
  WHERE status = 'SUCCEEDED'
  GROUP BY table_name
), sla_parts AS (
  SELECT
    table_name, domain, enabled, load_type, last_status, last_run_at, freshness_sla,
    try_cast(split_part(regexp_replace(lower(trim(freshness_sla)), ' +', ' '), ' ', 1) AS BIGINT) AS sla_amount,
    split_part(regexp_replace(lower(trim(freshness_sla)), ' +', ' '), ' ', 2)                     AS sla_unit,
    split_part(regexp_replace(lower(trim(freshness_sla)), ' +', ' '), ' ', 3)                     AS sla_rest
  FROM ${catalog}.${control_schema}.gold_table_control
), sla AS (
  SELECT *,
    CASE WHEN sla_rest = '' THEN sla_amount * CASE
      WHEN sla_unit IN ('second', 'seconds') THEN 1
      WHEN sla_unit IN ('minute', 'minutes') THEN 60
      WHEN sla_unit IN ('hour', 'hours')     THEN 3600
      WHEN sla_unit IN ('day', 'days')       THEN 86400
      WHEN sla_unit IN ('week', 'weeks')     THEN 604800
      WHEN sla_unit IN ('month', 'months')   THEN 2592000
      WHEN sla_unit IN ('year', 'years')     THEN 31536000
    END END                                                  AS sla_seconds
  FROM sla_parts
), aged AS (
  SELECT s.*, o.last_success_at,
    unix_timestamp(current_timestamp()) - unix_timestamp(o.last_success_at) AS seconds_since_success
  FROM sla s
  LEFT JOIN last_ok o ON o.table_name = s.table_name
)
SELECT
  table_name,
  domain,
  enabled,
  load_type,
  last_status,
  last_run_at,
  freshness_sla,
  round(sla_seconds / 3600.0, 2)                             AS sla_hours,
  last_success_at,
  round(seconds_since_success / 3600.0, 2)                   AS hours_since_success,
  CASE
    WHEN NOT enabled                          THEN 'DISABLED'
    WHEN last_success_at IS NULL              THEN 'NEVER_SUCCEEDED'
    WHEN freshness_sla IS NULL                THEN 'NO_SLA'
    WHEN sla_seconds IS NULL                  THEN 'INVALID_SLA'
    WHEN seconds_since_success > sla_seconds  THEN 'LATE'
    ELSE 'OK'
  END                                                        AS sla_status,
  CASE WHEN enabled AND (last_success_at IS NULL OR seconds_since_success > sla_seconds)
       THEN 1 ELSE 0 END                                     AS is_late
FROM aged;

-- Tables whose latest audit row is FAILED or VALIDATION_FAILED, with the error. Tables no longer
-- in the control table are left out; their dependents (SKIPPED) show up as late, not here.
CREATE OR REPLACE VIEW ${catalog}.${control_schema}.v_current_failures
COMMENT 'Health Monitor: tables whose latest run failed, with the error message'
AS
WITH ranked AS (
  SELECT run_id, job_run_id, table_name, domain, status, ended_at, error_message, failed_checks,
         row_number() OVER (PARTITION BY table_name ORDER BY ended_at DESC, started_at DESC, run_id DESC) AS recency
  FROM ${catalog}.${control_schema}.gold_run_audit
), last_ok AS (
  SELECT table_name, max(ended_at) AS last_success_at
  FROM ${catalog}.${control_schema}.gold_run_audit
  WHERE status = 'SUCCEEDED'
  GROUP BY table_name
)
SELECT
  r.table_name,
  r.domain,
  r.status,
  r.ended_at                                                 AS failed_at,
  r.error_message,
  array_join(r.failed_checks, ', ')                          AS failed_checks,
  o.last_success_at,
  r.run_id,
  r.job_run_id
FROM ranked r
JOIN ${catalog}.${control_schema}.gold_table_control c ON c.table_name = r.table_name
LEFT JOIN last_ok o ON o.table_name = r.table_name
WHERE r.recency = 1 AND r.status IN ('FAILED', 'VALIDATION_FAILED');

-- Rows moved aside by warn checks, per table, check and day; the domain from the control row (NULL
-- for a table no longer onboarded), so the dashboard's domain filter reaches the quarantine too.
CREATE OR REPLACE VIEW ${catalog}.${control_schema}.v_quarantine_by_check
COMMENT 'Health Monitor: quarantined rows per table, check and day'
AS
SELECT
  q.table_name,
  c.domain,
  q.check_name,
  q.severity,
  CAST(q.quarantined_at AS DATE)                             AS quarantine_date,
  count(*)                                                   AS quarantined_rows,
  count(DISTINCT q.run_id)                                   AS runs,
  max(q.quarantined_at)                                      AS last_quarantined_at
FROM ${catalog}.${control_schema}.gold_quarantine q
LEFT JOIN ${catalog}.${control_schema}.gold_table_control c ON c.table_name = q.table_name
GROUP BY q.table_name, c.domain, q.check_name, q.severity, CAST(q.quarantined_at AS DATE);
