#!/usr/bin/env bash
# Listing persistence/ (issue 20): one sequential listing against the listing tenant folder by tenant folder with
# several in flight, on a local S3 API server holding OBJECTS objects across TENANTS tenants. Prints the cost of one page, a table
# (wall time, speed-up, peak heap per listing) and the peak RSS; exits 1 unless every listing returned the same keys in
# the same order. docs/benchmark.md says why S3Proxy's page cost grows with the prefix (so the sequential listing's
# time grows with the square of OBJECTS there) and how long each size takes.
#
#   scripts/persistence-listing-benchmark.sh [OBJECTS] [TENANTS] ["CONCURRENCIES"]
#       default: 2000000 2000 "1 4 8" (1 = the sequential listing); BENCH_XMX overrides 192m; MVN_ARGS e.g. -o;
#       BENCH_BACKEND: the server: swift (default: OpenStack Swift with s3api, Debian's packages
#       swift-proxy swift-account swift-container swift-object memcached; rows written straight into the container
#       database), or S3Proxy's filesystem (seeded straight into its folder) or transient (in memory, PUT through the S3
#       API); BENCH_LATENCY_MS (default 0): every request delayed by this much (S3's round trip, which concurrency overlaps)
set -euo pipefail
cd "$(dirname "$0")/.."
objects=${1:-2000000}
tenants=${2:-2000}
concurrencies=${3:-1 4 8}
export LANG=C.UTF-8 LC_ALL=C.UTF-8
./mvnw -B -q ${MVN_ARGS:-} -DskipTests test-compile
./mvnw -B -q ${MVN_ARGS:-} dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
uptime
exec java -Xmx"${BENCH_XMX:-192m}" -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  dify.reconciler.bench.PersistenceListingBenchmark "$objects" "$tenants" "$concurrencies" "${BENCH_BACKEND:-swift}" "${BENCH_LATENCY_MS:-0}"
