#!/usr/bin/env bash
# Footprint beside the daemon (issue 20): starts the packaged service with the JVM options and environment that
# k8s/base/deployment.yaml sets (JAVA_TOOL_OPTIONS, MALLOC_ARENA_MAX), pinned to one CPU like the manifests' 1-CPU
# limit, against the benchmark's seeded small dataset; runs a few scans and prints the steady RSS (VmRSS a few
# seconds after the scans), the Native Memory Tracking summary (a second service run with NMT on), the start time
# and the one-shot scan's wall and CPU time. Exits 1 unless every scan finds exactly the planted drift.
#
#   scripts/footprint-benchmark.sh [TENANTS] [PLUGINS_PER_TENANT]     (default 1000 15: 15,000 installations)
#
# Environment: BENCH_STORAGE (s3 | local | local,s3; default s3), FOOTPRINT_SCANS (10), FOOTPRINT_ONE_SHOTS (3),
# FOOTPRINT_CPUS (1), FOOTPRINT_NMT (true), FOOTPRINT_VARIANTS (extra JVM options to compare, `|`-separated; an empty
# variant is the manifests' options as they are, e.g. "|-XX:TieredStopAtLevel=1"), MVN_ARGS (e.g. -o).
set -euo pipefail
cd "$(dirname "$0")/.."
tenants=${1:-1000}
per_tenant=${2:-15}
export LANG=C.UTF-8 LC_ALL=C.UTF-8
# What the container gets: read from the manifest, so the benchmark measures what users deploy.
manifest_env() {
  python3 - "$1" <<'PY'
import sys, yaml
doc = yaml.safe_load(open("k8s/base/deployment.yaml"))
container = doc["spec"]["template"]["spec"]["containers"][0]
for e in container.get("env", []):
    if e["name"] == sys.argv[1] and "value" in e:
        print(" ".join(str(e["value"]).split()))
PY
}
java_tool_options="$(manifest_env JAVA_TOOL_OPTIONS)"
malloc_arena_max="$(manifest_env MALLOC_ARENA_MAX)"
[[ -n "$java_tool_options" ]] || { echo "no JAVA_TOOL_OPTIONS in k8s/base/deployment.yaml" >&2; exit 1; }
if [[ -z "${FOOTPRINT_SKIP_BUILD:-}" ]]; then
  ./mvnw -B -q ${MVN_ARGS:-} -DskipTests package
  ./mvnw -B -q ${MVN_ARGS:-} dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
fi
uptime
exec java -Xmx512m -Dbench.tenants="$tenants" -Dbench.plugins="$per_tenant" -Dbench.distinct=300 \
  -Dbench.storage="${BENCH_STORAGE:-s3}" -Dbench.out=target/benchmark -Dapp.jar=target/quarkus-app/quarkus-run.jar \
  -Ds3proxy.jar=target/s3proxy/s3proxy.jar \
  -Dfootprint.java-tool-options="$java_tool_options" \
  -Dfootprint.env="${malloc_arena_max:+MALLOC_ARENA_MAX=$malloc_arena_max}" \
  -Dfootprint.variants="${FOOTPRINT_VARIANTS:-}" -Dfootprint.scans="${FOOTPRINT_SCANS:-10}" \
  -Dfootprint.one-shots="${FOOTPRINT_ONE_SHOTS:-3}" -Dfootprint.cpus="${FOOTPRINT_CPUS:-1}" \
  -Dfootprint.nmt="${FOOTPRINT_NMT:-true}" \
  -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" dify.reconciler.bench.FootprintBenchmark
