"""Where the Delta jars are found (framework.platform.jars): the rule, tested on folders, no JVM: the tests that need no Spark (the rest, and the context, in tests/spark/test_jars.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from framework.errors import FrameworkError
from framework.platform import jars
from framework.platform.jars import delta_jars

ROOT = Path(__file__).resolve().parents[2]

SPARK_JAR, STORAGE_JAR = "delta-spark_2.13-4.0.1.jar", "delta-storage-4.0.1.jar"

def filled(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names or (SPARK_JAR, STORAGE_JAR):
        (folder / name).write_bytes(b"PK")
    return folder

def expected(folder: Path) -> list[str]:
    return [str(folder / SPARK_JAR), str(folder / STORAGE_JAR)]

def test_the_pinned_version_is_the_one_bootstrap_fetches():
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    pom = ET.parse(ROOT / "bootstrap" / "pom.xml").getroot()
    fetched = {
        f"{d.findtext('m:groupId', namespaces=ns)}:{d.findtext('m:artifactId', namespaces=ns)}:{d.findtext('m:version', namespaces=ns)}"
        for d in pom.iterfind(".//m:dependencies/m:dependency", ns)
    }
    assert fetched == set(jars.DELTA_COORDINATES)

def test_healthmon_jars_wins_over_the_checkout(tmp_path):
    checkout, chosen = filled(tmp_path / "checkout"), filled(tmp_path / "chosen")
    env = {"HOME": str(tmp_path), "HEALTHMON_JARS": str(chosen)}
    assert delta_jars(environ=env, checkout_jars=checkout) == expected(chosen)

def test_a_wrong_healthmon_jars_is_reported_not_replaced_by_another_folder(tmp_path):
    checkout, chosen = filled(tmp_path / "checkout"), filled(tmp_path / "chosen", SPARK_JAR)  # storage jar missing
    with pytest.raises(FrameworkError) as err:
        delta_jars(environ={"HOME": str(tmp_path), "HEALTHMON_JARS": str(chosen)}, checkout_jars=checkout)
    message = str(err.value)
    assert f"{chosen} (holds {SPARK_JAR})" in message and str(checkout) not in message
    assert "the folder given (HEALTHMON_JARS or the caller) must hold them" in message

def test_another_delta_version_does_not_count_and_the_error_shows_it(tmp_path):
    checkout = filled(tmp_path / "checkout", "delta-spark_2.13-3.2.0.jar", "delta-storage-3.2.0.jar")
    with pytest.raises(FrameworkError) as err:
        delta_jars(environ={"HOME": str(tmp_path)}, checkout_jars=checkout)
    assert f"{checkout} (holds delta-spark_2.13-3.2.0.jar, delta-storage-3.2.0.jar)" in str(err.value)

def test_an_explicit_folder_is_used_as_given(tmp_path):
    given = filled(tmp_path / "given")
    assert delta_jars(given, environ={"HOME": str(tmp_path), "HEALTHMON_JARS": str(tmp_path / "other")}) == expected(given)

def test_the_session_module_uses_this_rule():
    from framework.platform import session

    assert session.delta_jars is jars.delta_jars
