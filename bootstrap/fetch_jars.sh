#!/usr/bin/env bash
# Fetch the Delta Lake jars local Spark needs into a git-ignored folder (default .jars/).
# Spark's own --packages download needs the internet; Maven Central is what answers here.
set -euo pipefail
dest="${1:-.jars}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$dest"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$(cd "$dest" && pwd)"
ls "$dest"/delta-spark_2.13-*.jar "$dest"/delta-storage-*.jar >/dev/null
