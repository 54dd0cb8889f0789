"""Where the Delta jars are found (framework.platform.jars): the rule, tested on folders, no JVM."""

from __future__ import annotations

from pathlib import Path

import pytest

from framework.errors import FrameworkError
from framework.platform.jars import delta_jars, jar_folders, user_cache_jars
from tests.unit.test_jar_lookup import expected, filled  # helpers both layers use, defined once

ROOT = Path(__file__).resolve().parents[2]

SPARK_JAR, STORAGE_JAR = "delta-spark_2.13-4.0.1.jar", "delta-storage-4.0.1.jar"



def test_a_checkout_looks_in_its_own_jars_folder_then_the_user_cache(tmp_path):
    assert jar_folders({"HOME": str(tmp_path)}) == [ROOT / ".jars", tmp_path / ".cache" / "healthmon" / "jars"]
    assert user_cache_jars({"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "xdg")}) == tmp_path / "xdg" / "healthmon" / "jars"

def test_without_healthmon_jars_the_checkout_comes_before_the_cache(tmp_path):
    checkout = filled(tmp_path / "checkout")
    filled(tmp_path / ".cache" / "healthmon" / "jars")
    assert delta_jars(environ={"HOME": str(tmp_path)}, checkout_jars=checkout) == expected(checkout)

def test_an_installed_wheel_without_a_checkout_finds_the_user_cache(tmp_path):
    cache = filled(tmp_path / "xdg" / "healthmon" / "jars")
    env = {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert delta_jars(environ=env, checkout_jars=tmp_path / "no-checkout" / ".jars") == expected(cache)

def test_nothing_found_says_where_it_looked_and_how_to_fetch(tmp_path):
    env = {"HOME": str(tmp_path)}
    with pytest.raises(FrameworkError) as err:
        delta_jars(environ=env, checkout_jars=tmp_path / "checkout" / ".jars")
    message = str(err.value)
    cache = tmp_path / ".cache" / "healthmon" / "jars"
    assert f"{tmp_path / 'checkout' / '.jars'} (no such folder); {cache} (no such folder)" in message
    for needle in ["io.delta:delta-spark_2.13:4.0.1", "io.delta:delta-storage:4.0.1", "make setup", "bootstrap/fetch_jars.sh DIR", "mvn dependency:copy", f"set HEALTHMON_JARS=DIR, or put them in {cache}"]:
        assert needle in message, needle
