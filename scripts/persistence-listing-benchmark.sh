#!/usr/bin/env bash
# Listing persistence/ (issue 20): one sequential listing against the listing tenant folder by tenant folder with
# several in flight, on S3Proxy (file-system backend) holding OBJECTS objects across TENANTS tenants. Prints a table
# (wall time, speed-up, peak heap per listing) and the peak RSS; exits 1 unless every listing returned the same keys in
# the same order.
#
#   scripts/persistence-listing-benchmark.sh [OBJECTS] [TENANTS] ["CONCURRENCIES"]
#       default: 2000000 2000 "1 4 8" (1 = the sequential listing); BENCH_XMX overrides 192m; MVN_ARGS e.g. -o
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
  dify.reconciler.bench.PersistenceListingBenchmark "$objects" "$tenants" "$concurrencies"
