#!/usr/bin/env bash
# Seeds TENANTS x PLUGINS_PER_TENANT installations of DISTINCT_PLUGINS real packages into an embedded
# PostgreSQL, a local folder and S3Proxy, then times the one-shot scan, a scan inside the running
# service and the yardstick pipeline (scripts/yardstick.sh). See docs/benchmark.md.
#
#   scripts/benchmark.sh TENANTS PLUGINS_PER_TENANT [DISTINCT_PLUGINS]
#
# Environment: BENCH_STORAGE (local,s3 | local | s3; default local,s3), BENCH_RUNS (one-shot and yardstick
# runs, default 3), BENCH_SERVICE_RUNS (default 6; the first, cold, is reported apart), BENCH_XMX (default 192m),
# BENCH_MEASURE_WHEN (a file: after seeding, wait until it exists before measuring), MVN_ARGS (e.g. -o).
# Results: target/benchmark/results-<TENANTS>x<PLUGINS>.md
# Exits non-zero, with no results file, when a scan or the yardstick does not find exactly the planted drift
# (the log is then in target/benchmark/FAILED-<TENANTS>x<PLUGINS>.log).
set -euo pipefail
cd "$(dirname "$0")/.."
tenants=${1:?usage: benchmark.sh TENANTS PLUGINS_PER_TENANT [DISTINCT_PLUGINS]}
per_tenant=${2:?usage: benchmark.sh TENANTS PLUGINS_PER_TENANT [DISTINCT_PLUGINS]}
distinct=${3:-300}
exec ./mvnw -B -q ${MVN_ARGS:-} -Pbenchmark -DskipTests package \
  -Dbench.tenants="$tenants" -Dbench.plugins="$per_tenant" -Dbench.distinct="$distinct" \
  -Dbench.storage="${BENCH_STORAGE:-local,s3}" -Dbench.runs="${BENCH_RUNS:-3}" \
  -Dbench.service-runs="${BENCH_SERVICE_RUNS:-6}" -Dbench.xmx="${BENCH_XMX:-192m}" \
  -Dbench.measure-when="${BENCH_MEASURE_WHEN:-}"
