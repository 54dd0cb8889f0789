"""The framework's own column names, in one place.

Metadata may not use the ``_hm_`` prefix (:data:`framework.metadata.spec.TECHNICAL_PREFIX`), so
these never collide with a Gold column. Batch columns live only between transform and MERGE;
Gold columns are stored in the Gold tables.
"""

# -- on the prepared batch (transform -> validate -> merge) --------------------------------------
SEQ = "_hm_sequence"  # the sequence_by value; also stored in Gold (guards against older versions)
IS_DELETE = "_hm_is_delete"  # the delete_condition
SOURCE_ROWS = "_hm_source_rows"  # how many source rows collapsed into this one
KEY_CONFLICT = "_hm_key_conflict"  # dedup: a struct (seq) when rows of this key and one sequence value differed, else NULL
WATERMARK = "_hm_watermark"  # the source row's watermark value (per kept row: the highest of the rows it stands for)
HELD = "_hm_held"  # snapshot: the key of a row set aside (quarantined): present in the source, so its Gold row stays
CONTENT = "_hm_content"  # dedup: a hash of the row's non-key values (framework.engine.compare.content_hash), dropped after
ORIGIN = "_hm_origin"  # scd2 history: 0 = from the batch, 1 = a version stored in Gold

# -- stored in every Gold table ------------------------------------------------------------------
RUN_ID = "_hm_run_id"
UPDATED_AT = "_hm_updated_at"
DELETED = "_hm_deleted"  # scd2 `<name>_history`: the version is the entity's deletion (its last, until re-created)

# -- scd2 validity, on `<name>_history` (user-facing, named by the spec) ----------------------------
SCD2_COLUMNS = ("valid_from", "valid_to", "is_current")  # added by scd2 (framework.engine.loads.history)
VALID_FROM, VALID_TO, IS_CURRENT = SCD2_COLUMNS
