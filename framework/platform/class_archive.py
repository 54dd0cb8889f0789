"""A class-data-sharing archive for the local driver JVM: a cold command starts in less time.

Why: a local command's start is mostly the JVM loading Spark's and Delta's classes (tens of
thousands, parsed and verified each time). Java's AppCDS stores them once, parsed, in an archive
that every later JVM maps read-only; measured on 2 cores it cuts a session's start and its first
queries by about a third (docs/benchmarks.md). Locally only: Databricks starts its own JVMs.

- :func:`build` writes the archive (``make setup`` runs ``python -m framework.platform.class_archive``,
  which keeps an archive already there; ``--force`` builds anew):
  a session started with ``-XX:ArchiveClassesAtExit`` runs a small Delta workload (create, MERGE,
  read, history, UPDATE, append: what a run's data path and bookkeeping do) and exits; the JVM
  writes the classes it loaded. The training JVM compiles with the first JIT tier only (a command's
  options, decision 121): the archive holds classes, not compiled code, so it serves JVMs of either
  setting, and ``make setup`` waits less (48 -> 45 s). It is written under a temporary name and
  renamed when whole, so a concurrent start never maps half a file.
- :func:`java_options` is what :func:`framework.platform.session.local_spark` adds to the driver's
  options: the archive when it exists, with the JVM's CDS messages silenced. The JVM checks the
  archive against its own version and class path; a stale or foreign one is ignored (the JVM
  starts as without it), so the archive is an optimization only, never a requirement.

The archive lives beside the Delta jars it was built with, named by a key of what the class path
holds (pyspark's jars and the Delta jars, names and sizes) and the ``java`` found, so a pyspark or
Delta upgrade builds a new one rather than tripping the JVM's check.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"  # a rejected archive must not print to the command's output
ENV_OFF = "HEALTHMON_NO_CLASS_ARCHIVE"  # set (to anything) to start without it


def _class_path_files(delta_jars: list[str]) -> list[Path]:
    import pyspark

    spark_jars = sorted((Path(pyspark.__file__).parent / "jars").glob("*.jar"))
    return [*spark_jars, *(Path(j) for j in delta_jars)]


def archive_path(delta_jars: list[str]) -> Path:
    """Where the archive for this class path and this ``java`` lives (beside the Delta jars)."""
    digest = hashlib.sha256()
    java = shutil.which("java", path=os.path.join(os.environ["JAVA_HOME"], "bin")) if os.environ.get("JAVA_HOME") else shutil.which("java")
    digest.update(str(Path(java).resolve() if java else "java").encode())
    for path in _class_path_files(delta_jars):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}\n".encode())
    return Path(delta_jars[0]).parent / f"jvm-classes-{digest.hexdigest()[:16]}.jsa"


def java_options(delta_jars: list[str]) -> str:
    """Driver JVM options that map the archive, or '' when there is none (or it is switched off)."""
    if os.environ.get(ENV_OFF):
        return ""
    path = archive_path(delta_jars)
    return f"-XX:SharedArchiveFile={path} {QUIET}" if path.is_file() else ""


_TRAINING = """
import sys
from pathlib import Path
from framework.platform.session import local_spark
home = Path(sys.argv[1])
spark = local_spark(home, extra_conf={"spark.driver.extraJavaOptions": sys.argv[2]}, quick_jit=True)
spark.sql("CREATE TABLE t (id BIGINT, v STRING, d DECIMAL(18,6)) USING DELTA LOCATION '%s'" % (home / "t").as_posix())
spark.range(100).selectExpr("id", "cast(id AS STRING) AS v", "cast(id AS DECIMAL(18,6)) AS d").createOrReplaceTempView("s")
for _ in range(2):
    spark.sql("MERGE INTO t USING s ON t.id <=> s.id WHEN MATCHED AND t.v <> s.v THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *").collect()
spark.sql("SELECT v, count(*), max(d) FROM t GROUP BY v").collect()
spark.sql("DESCRIBE HISTORY t LIMIT 1").collect()
spark.sql("UPDATE t SET v = CASE id WHEN 1 THEN 'x' ELSE v END WHERE id IN (1, 2)").collect()
spark.createDataFrame([(1000, "a", None)], "id BIGINT, v STRING, d DECIMAL(18,6)").write.format("delta").mode("append").save((home / "t").as_posix())
spark.table("t").localCheckpoint(eager=True).count()
spark.stop()
"""


def build(delta_jars: list[str] | None = None) -> Path:
    """Write the archive for the current class path (a minute at most); its path."""
    from framework.platform.jars import delta_jars as find_jars

    jars = delta_jars or find_jars()
    final = archive_path(jars)
    partial = final.with_name(f"{final.name}.{os.getpid()}.partial")
    with tempfile.TemporaryDirectory(prefix="healthmon-cds-") as home:
        options = f"-Dderby.system.home={home} -XX:ArchiveClassesAtExit={partial} {QUIET}"
        env = {**os.environ, ENV_OFF: "1"}
        done = subprocess.run([sys.executable, "-c", _TRAINING, home, options], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"building the class archive failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    if not partial.is_file():
        raise RuntimeError(f"the JVM wrote no class archive at {partial}")
    os.replace(partial, final)
    return final


def ensure(delta_jars: list[str] | None = None, *, force: bool = False) -> Path:
    """The archive for the current class path: the one there (a test run may have built it
    already, tests/class_archive_build.py), else a new one; ``force``: always a new one."""
    from framework.platform.jars import delta_jars as find_jars

    jars = delta_jars or find_jars()
    existing = archive_path(jars)
    return existing if existing.is_file() and not force else build(jars)


if __name__ == "__main__":
    print(f"class archive: {ensure(force='--force' in sys.argv[1:])}")
