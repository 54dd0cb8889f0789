"""The control table's name and its column groups: who writes which columns.

Metadata columns are written only by onboarding, state columns only by the runner (after the Gold
commit), the audit pair by whoever changed the metadata. Plain names, no Spark: metadata parsing
(which must accept a control row) and the control store (which writes one) share them.
"""

CONTROL_TABLE = "gold_table_control"
STATE_COLUMNS = ("watermark_value", "last_run_id", "last_status", "last_run_at", "input_versions")
AUDIT_COLUMNS = ("updated_at", "updated_by")
