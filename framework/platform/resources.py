"""Where the files the framework reads at run time are found: one rule, installed or not.

The DDL of the control/audit tables, the dashboard views, the onboarding files of the Gold tables
and the Lakeview dashboard are kept where the project layout shows them (``control_tables/``,
``resources/``) and are shipped inside the wheel as package data under ``framework/_data/``. The
rule, first match wins:

1. ``HEALTHMON_CONTROL_DIR`` (a folder of ``*.sql`` DDL and ``*.yml`` onboarding files), for
   ``control_dir`` only;
2. the package data of an installed wheel, ``<site-packages>/framework/_data/<folder>``;
3. a source tree (a checkout, or the Databricks bundle's synced files): ``<folder>`` beside the
   ``framework`` package.
"""

from __future__ import annotations

import os
from pathlib import Path

from framework.errors import ResourceMissingError

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PACKAGED = PACKAGE_DIR / "_data"


def project_dir(folder: str) -> Path:
    """The folder ``control_tables`` or ``resources``, by the rule above."""
    for candidate in (PACKAGED / folder, PACKAGE_DIR.parent / folder):
        if candidate.is_dir():
            return candidate
    raise ResourceMissingError(
        f"cannot find the framework's {folder}/ folder: looked in {PACKAGED / folder} (installed wheel) "
        f"and {PACKAGE_DIR.parent / folder} (source tree); reinstall the package"
    )


def control_dir() -> Path:
    """The control-table DDL, the dashboard views and the onboarding files."""
    override = os.environ.get("HEALTHMON_CONTROL_DIR")
    return Path(override) if override else project_dir("control_tables")


def onboarding_files() -> list[Path]:
    """Every onboarding file shipped with the framework (one per domain), in name order."""
    return sorted(control_dir().glob("*.yml"))
