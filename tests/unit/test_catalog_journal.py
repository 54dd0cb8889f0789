"""The local catalog across real processes: what `healthmon sql` creates is there for the next one: the tests that need no Spark (the rest, and the context, in tests/spark/test_catalog.py)."""

from __future__ import annotations

import json
from pathlib import Path

from framework.platform.catalog import _table_ddl
from framework.platform.catalog_journal import MANAGED, VIEW, Journal, ObjectEntry, created_as_managed, key_of
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import RunParams


# -- the journal's files, without a JVM ----------------------------------------------------
def test_journal_entries_round_trip_whatever_the_names(tmp_path):
    journal = Journal(tmp_path)
    odd = ObjectEntry("my.schema", "a/b%c.d", VIEW, ddl="CREATE VIEW x AS SELECT 1", columns=("n",))
    plain = ObjectEntry("bronze", "t", MANAGED, "delta", str(tmp_path / "tables" / "bronze" / "t"), str(tmp_path / "tables" / "bronze"))
    journal.write_object(odd)
    journal.write_object(plain)
    found = journal.objects()
    assert found == {odd.key: odd, plain.key: plain}
    assert {key_of(path) for path in journal.state()} == {odd.key, plain.key}
    assert not [p for p in journal.root.rglob("*") if p.name.startswith(".tmp-")]  # written by rename
    journal.delete_object(*odd.key)
    assert set(journal.objects()) == {plain.key}

def test_the_folder_scan_skips_folders_the_journal_accounts_for(tmp_path):
    def table(name: str) -> Path:
        folder = tmp_path / "tables" / "bronze" / name
        (folder / "_delta_log").mkdir(parents=True)
        return folder

    framework_table, renamed_away, dropped = table("framework_table"), table("old_name"), table("dropped_external")
    journal = Journal(tmp_path)
    journal.write_object(ObjectEntry("bronze", "new_name", "external", "delta", str(renamed_away)))
    journal.mark_unregistered(str(dropped), "bronze.dropped_external", "test")
    lakehouse = Lakehouse(None, RunParams(), tmp_path)
    assert lakehouse.local_tables() == {"spark_catalog.bronze.framework_table": framework_table}
    journal.clear_unregistered(str(dropped))
    assert set(lakehouse.local_tables()) == {"spark_catalog.bronze.framework_table", "spark_catalog.bronze.dropped_external"}

def test_managed_creation_is_read_from_the_first_commit(tmp_path):
    def first_commit(name: str, text: str) -> Path:
        log = tmp_path / name / "_delta_log"
        log.mkdir(parents=True)
        (log / "00000000000000000000.json").write_text(text)
        return log.parent

    managed = first_commit("m", json.dumps({"commitInfo": {"operationParameters": {"isManaged": "true"}}}) + '\n{"metaData": {}}\n')
    external = first_commit("e", json.dumps({"commitInfo": {"operationParameters": {"isManaged": "false"}}}) + "\n")
    assert created_as_managed(managed) and not created_as_managed(external)
    assert not created_as_managed(first_commit("empty", "{}")) and not created_as_managed(tmp_path / "missing")

def test_a_non_delta_table_is_registered_at_the_journal_location():
    entry = ObjectEntry("lab", "p", MANAGED, "parquet", "/h/warehouse/lab.db/p",
                        ddl="CREATE TABLE spark_catalog.lab.p (\n  id INT)\nUSING parquet\nLOCATION 'file:/old/place'\n")
    assert _table_ddl(entry) == "CREATE TABLE IF NOT EXISTS spark_catalog.lab.p (\n  id INT)\nUSING parquet\nLOCATION '/h/warehouse/lab.db/p'"
