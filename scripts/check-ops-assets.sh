#!/usr/bin/env bash
# Checks the operational assets: alert rules, their PrometheusRule copy, the Grafana dashboard, the runbook
# links and the Kubernetes manifests.
#
#   scripts/check-ops-assets.sh EXPORTED_METRIC_NAMES RUNBOOK_MD
#
#   EXPORTED_METRIC_NAMES  one metric name per line, as exported at /q/metrics (the Java tests write
#                          target/exported-metric-names.txt; scripts/testdata/exported-metric-names.txt is a
#                          hand-written stand-in)
#   RUNBOOK_MD             the markdown holding the runbook sections the alerts link to (README.md; the
#                          runbook is its "Runbook" section)
#
# Needs: promtool (Debian package `prometheus`, 2.42+), python3. Optional: kubectl (kustomize builds and the
# sidecar patch; skipped with a notice when absent). Exits non-zero on the first failing check.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
names="${1:-}"
runbook="${2:-}"
if [[ -z "$names" || -z "$runbook" ]]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
[[ -r "$names" ]] || { echo "FAIL: metric name list '$names' not found (run the Java tests first, or pass scripts/testdata/exported-metric-names.txt)"; exit 1; }
[[ -r "$runbook" ]] || { echo "FAIL: runbook '$runbook' not found"; exit 1; }
command -v promtool >/dev/null || { echo "FAIL: promtool not found (apt-get install prometheus)"; exit 1; }
command -v python3 >/dev/null || { echo "FAIL: python3 not found"; exit 1; }

rules="$root/k8s/rules/plugin-reconciler.rules.yml"
tests="$root/k8s/rules/plugin-reconciler.rules.test.yml"
prometheusrule="$root/k8s/base/prometheusrule.yaml"
dashboard="$root/grafana/dify-plugin-reconciler.json"
helper="$root/scripts/ops_assets.py"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

step() { printf '\n== %s\n' "$*"; }
trap 'rc=$?; if [[ $rc -ne 0 ]]; then echo; echo "check-ops-assets: FAILED (exit $rc) in: ${current:-setup}"; fi; rm -rf "$tmp"' EXIT

current="(a) promtool check rules / test rules"
step "$current"
echo "$ promtool --version | head -1: $(promtool --version 2>&1 | head -1)"
promtool check rules "$rules"
(cd "$(dirname "$tests")" && promtool test rules "$(basename "$tests")")

current="(a') every alert has severity, summary, description, runbook_url"
step "$current"
python3 "$helper" alerts "$rules"

current="(b) the PrometheusRule matches the plain rules file"
step "$current"
"$root/k8s/rules/sync.sh" --check
promtool check rules "$rules" >/dev/null

current="(c) every metric used by the rules and the dashboard is exported"
step "$current"
python3 "$helper" metrics "$rules" "$dashboard" "$names"

current="(d) every dashboard query parses as PromQL"
step "$current"
python3 "$helper" dashboard-rules "$dashboard" "$tmp/dashboard-queries.rules.json"
promtool check rules "$tmp/dashboard-queries.rules.json"

current="(e) every runbook_url anchor is a heading of $runbook"
step "$current"
python3 "$helper" anchors "$rules" "$runbook"

current="(f) Kubernetes manifests"
step "$current"
if command -v kubectl >/dev/null; then
  kubectl kustomize "$root/k8s/base" > "$tmp/base.yaml"
  echo "  ok  kubectl kustomize k8s/base ($(grep -c '^kind:' "$tmp/base.yaml") objects: $(grep '^kind:' "$tmp/base.yaml" | awk '{print $2}' | sort | paste -sd, -))"
  kubectl kustomize "$root/k8s/sidecar" > "$tmp/sidecar.yaml"
  echo "  ok  kubectl kustomize k8s/sidecar ($(grep '^kind:' "$tmp/sidecar.yaml" | awk '{print $2}' | sort | paste -sd, -))"
  if grep -qE '^kind: (Deployment|ServiceAccount)$' "$tmp/sidecar.yaml"; then
    echo "FAIL: the sidecar overlay still renders a Deployment or ServiceAccount"; exit 1
  fi
  kubectl patch --local -f "$root/scripts/testdata/daemon-deployment.yaml" --type strategic \
    --patch-file "$root/k8s/sidecar/daemon-patch.yaml" -o json > "$tmp/daemon-patched.json"
  python3 - "$tmp/daemon-patched.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
spec = d["spec"]["template"]["spec"]
names = [c["name"] for c in spec["containers"]]
assert names.count("plugin-daemon") == 1 and names.count("dify-plugin-reconciler") == 1, names
assert d["spec"]["selector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items(), "selector broken"
assert d["spec"]["template"]["metadata"]["labels"].get("dify-plugin-reconciler/scrape") == "true"
print(f"  ok  daemon-patch.yaml applies to a stand-in daemon: containers {names}, volumes {[v['name'] for v in spec['volumes']]}")
PY
  python3 "$helper" same-container "$root/k8s/base/deployment.yaml" "$root/k8s/sidecar/daemon-patch.yaml"
else
  echo "  SKIPPED: kubectl not found (kustomize builds and the sidecar patch were not checked)"
fi

current=""
printf '\ncheck-ops-assets: all checks passed\n'
