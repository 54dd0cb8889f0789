"""The driver JVM's class archive, built during the test run's first minute rather than before it.

`make setup` (and so `make demo`) builds the archive before anything else runs; `make test` does
not wait for it (decisions 158, 159). Its build is a minute on about one core
(framework/platform/class_archive.py). So the test run's controller starts the build in the
background when the archive is missing (:func:`start`), and the workers go on meanwhile: the unit
layer (no JVM), then the Spark layer, whose sessions start without the archive (it spares a
long-lived JVM its first ~2 s only; waiting for it left a core idle for ~23 s). A `healthmon`
process a test starts waits for it (:func:`wait`, called by
``tests.connect_fixture.subprocess_env``): its JVM maps the archive, as every `healthmon`
command's does after `make setup`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = "HEALTHMON_TEST_CLASS_ARCHIVE"  # the file the background build writes when it has ended ("ok" or its error)
OK = "ok"

_BUILD = """
import sys
from pathlib import Path
from framework.platform import class_archive
try:
    class_archive.ensure()  # one a concurrent `make setup` wrote meanwhile is kept
    outcome = "ok"
except Exception as exc:
    outcome = str(exc) or type(exc).__name__
Path(sys.argv[1] + ".partial").write_text(outcome)
Path(sys.argv[1] + ".partial").rename(sys.argv[1])
"""


def start() -> None:
    """Build the archive in the background when it is missing (not when switched off, or when this
    process's environment says a build is under way already); its workers inherit the environment."""
    from framework.errors import JarsMissingError
    from framework.platform import class_archive
    from framework.platform.jars import delta_jars

    if os.environ.get(ENV) or os.environ.get(class_archive.ENV_OFF):
        return
    try:
        if class_archive.archive_path(delta_jars()).is_file():
            return
    except (JarsMissingError, OSError):  # no jars: the Spark tests report that themselves
        return
    ended = Path(tempfile.mkdtemp(prefix="healthmon-test-cds-")) / "ended"
    subprocess.Popen([sys.executable, "-c", _BUILD, str(ended)], cwd=ROOT, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    os.environ[ENV] = str(ended)


def forget() -> None:
    """At the run's end: remove the build's marker once it has ended (a build still under way, in a
    run that never needed it, keeps its folder and finishes on its own)."""
    ended = os.environ.pop(ENV, None)
    if ended and os.path.exists(ended):
        shutil.rmtree(Path(ended).parent, ignore_errors=True)


def wait(timeout: float = 600.0) -> None:
    """Wait while the run's background build is under way (none started: return at once); a
    warning when it failed or did not end in time: JVMs then start without the archive."""
    ended = os.environ.get(ENV)
    if not ended:
        return
    deadline = time.monotonic() + timeout
    while not os.path.exists(ended):
        if time.monotonic() > deadline:
            warnings.warn(f"the class archive was not built within {timeout:.0f} s; JVMs start without it", stacklevel=2)
            return
        time.sleep(0.25)
    outcome = Path(ended).read_text()
    if outcome != OK:
        warnings.warn(f"the class archive was not built ({outcome}); JVMs start without it", stacklevel=2)
