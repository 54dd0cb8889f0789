"""Where the local session's Delta Lake jars are found: one rule, from a checkout or an installed wheel.

Local Spark needs Delta's two jars on its class path. Spark's own ``--packages`` resolves them
from Maven Central at every fresh start, which needs the internet, so they are fetched once
(``make setup`` runs ``bootstrap/fetch_jars.sh .jars``) and found by this rule, first match wins:

1. ``HEALTHMON_JARS`` (a folder), when set. It is the only place looked at then: an explicit
   choice that is wrong is reported, never silently replaced by another folder.
2. ``.jars/`` of the source checkout the package is imported from (where ``make setup`` puts
   them; an editable install imports from the checkout, so it finds them too).
3. The user's cache, ``$XDG_CACHE_HOME/healthmon/jars`` (default ``~/.cache/healthmon/jars``):
   an installed wheel has no checkout, and this lets a ``pip install .`` user fetch once and
   forget, instead of exporting ``HEALTHMON_JARS`` in every shell.

Only the pinned Delta version (the one ``bootstrap/pom.xml`` fetches; Spark 4.0 needs Delta 4.0)
counts: another version in a folder would put two Deltas, or a wrong one, on the class path.
Nothing here starts a JVM, so the rule is tested without one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from framework.errors import JarsMissingError

DELTA_VERSION = "4.0.1"
DELTA_COORDINATES = (f"io.delta:delta-spark_2.13:{DELTA_VERSION}", f"io.delta:delta-storage:{DELTA_VERSION}")
DELTA_JAR_NAMES = (f"delta-spark_2.13-{DELTA_VERSION}.jar", f"delta-storage-{DELTA_VERSION}.jar")

ENV_VAR = "HEALTHMON_JARS"
CHECKOUT_JARS = Path(__file__).resolve().parents[2] / ".jars"  # <checkout>/framework/platform/jars.py


def user_cache_jars(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/healthmon/jars``, ``~/.cache/healthmon/jars`` when that is unset."""
    environ = os.environ if environ is None else environ
    home = environ.get("HOME") or str(Path.home())
    return Path(environ.get("XDG_CACHE_HOME") or Path(home) / ".cache") / "healthmon" / "jars"


def jar_folders(environ: Mapping[str, str] | None = None, *, checkout_jars: Path = CHECKOUT_JARS) -> list[Path]:
    """The folders the rule looks in, in order."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV_VAR):
        return [Path(environ[ENV_VAR]).expanduser()]
    return [checkout_jars, user_cache_jars(environ)]


def jars_in(folder: Path) -> list[str] | None:
    """The pinned Delta jars of ``folder`` (delta-spark first), or None unless both are there."""
    paths = [folder / name for name in DELTA_JAR_NAMES]
    return [str(p) for p in paths] if all(p.is_file() for p in paths) else None


def delta_jars(
    jar_dir: str | os.PathLike | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    checkout_jars: Path = CHECKOUT_JARS,
) -> list[str]:
    """The Delta jars for ``spark.jars``: from ``jar_dir`` when given, else by the rule above."""
    environ = os.environ if environ is None else environ
    folders = [Path(jar_dir)] if jar_dir else jar_folders(environ, checkout_jars=checkout_jars)
    for folder in folders:
        found = jars_in(folder)
        if found:
            return found
    raise JarsMissingError(_not_found_message(folders, explicit=bool(jar_dir or environ.get(ENV_VAR))))


def _not_found_message(folders: list[Path], *, explicit: bool) -> str:
    looked = "; ".join(f"{f} ({_present(f)})" for f in folders)
    where = (
        f"the folder given ({ENV_VAR} or the caller) must hold them"
        if explicit
        else f"set {ENV_VAR}=DIR, or put them in {folders[-1]} (found without {ENV_VAR})"
    )
    return (
        f"Delta Lake jars {' and '.join(DELTA_JAR_NAMES)} not found; looked in: {looked}. "
        f"Fetch the Maven artifacts {' and '.join(DELTA_COORDINATES)} into a folder: in a checkout `make setup` "
        f"(or `bash bootstrap/fetch_jars.sh DIR`), elsewhere `mvn dependency:copy -Dartifact=<coordinate> "
        f"-DoutputDirectory=DIR` once per coordinate; then {where}."
    )


def _present(folder: Path) -> str:
    """What a folder that did not qualify holds, so a version mismatch is visible in the error."""
    if not folder.is_dir():
        return "no such folder"
    delta = sorted(p.name for p in folder.glob("delta-*.jar"))
    return "holds " + ", ".join(delta) if delta else "no Delta jars"
