#!/usr/bin/env bash
# The finding ledger at scale (issue: own state): N orphaned category rows = N findings in one scan; two
# packaged one-shot scans with -Xmx192m persist them to plugin_reconciler.finding_ledger. Prints wall time and
# peak RSS per run; exits non-zero unless both runs find exactly N and the ledger holds N entries seen twice.
#
#   scripts/ledger-benchmark.sh [N]        (default 1000000; BENCH_XMX overrides 192m; MVN_ARGS e.g. -o)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
export LANG=C.UTF-8 LC_ALL=C.UTF-8
./mvnw -B -q ${MVN_ARGS:-} -DskipTests package
./mvnw -B -q ${MVN_ARGS:-} dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
exec java -Xmx1g -Dbench.xmx="${BENCH_XMX:-192m}" -Dapp.jar=target/quarkus-app/quarkus-run.jar \
  -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" dify.reconciler.bench.LedgerBenchmark "$n"
