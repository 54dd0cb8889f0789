"""`healthmon job run|status` up to the requests it builds (pure: no Spark, no network).

The client is ``create_autospec`` of the SDK's own classes (``WorkspaceClient``, ``JobsExt``,
``CurrentUserAPI``), so a call the real method would not accept fails here too; responses are the
SDK's own dataclasses built with ``from_dict``. Nothing imitates the Jobs API's behaviour: each
test sets the responses in the order the code asks for them.
"""

from __future__ import annotations

import pytest

from framework.surfaces.cli import main


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    """No auth anywhere the SDK looks: no env, an empty home, a config file that does not exist.
    Without a host the SDK fails in its config step, before any network call."""
    import os

    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_", "ACTIONS_ID_TOKEN", "SYSTEM_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "missing.databrickscfg"))

def test_no_credentials_exits_2_naming_what_is_missing(no_credentials, capsys):
    assert main(["job", "status", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no Databricks credentials: set DATABRICKS_HOST and DATABRICKS_TOKEN")
    assert "databricks-sdk said: default auth: cannot configure default credentials" in err

def test_an_unknown_profile_is_named(no_credentials, capsys):
    assert main(["job", "run", "--job-id", "1", "--profile", "nope"]) == 2
    assert "error: no Databricks credentials: set profile 'nope' with host and credentials in ~/.databrickscfg" in capsys.readouterr().err
