#!/usr/bin/env bash
# Checks the operational assets: alert rules, their PrometheusRule copy, the Grafana dashboard, the runbook
# links and the Kubernetes manifests.
#
#   scripts/check-ops-assets.sh EXPORTED_METRIC_NAMES RUNBOOK_MD
#
#   EXPORTED_METRIC_NAMES  one metric name per line, as exported at /q/metrics (the Java tests write
#                          target/exported-metric-names.txt; scripts/testdata/exported-metric-names.txt is a
#                          hand-written stand-in)
#   RUNBOOK_MD             the markdown holding the runbook sections the alerts link to (docs/runbook.md); every
#                          runbook_url is the URL of k8s/base/runbook-url.yaml + '#' + one of its headings' anchors
#
# Needs: promtool (Debian package `prometheus`, 2.42+), python3, kubectl (kustomize builds, the sidecar patch and
# the Helm post-renderer; Debian package `kubectl` or `kubernetes-client`). A missing tool fails the check.
# Exits non-zero on the first failing check.
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
command -v kubectl >/dev/null || { echo "FAIL: kubectl not found (apt-get install kubectl, or kubernetes-client; .ci/run does this)"; exit 1; }

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

current="(d) every dashboard query parses as PromQL; panel ids unique, no two panels overlapping"
step "$current"
python3 "$helper" dashboard-rules "$dashboard" "$tmp/dashboard-queries.rules.json"
promtool check rules "$tmp/dashboard-queries.rules.json"

current="(e) every runbook_url is the runbook URL (k8s/base/runbook-url.yaml) + the anchor of a heading of $runbook"
step "$current"
runbook_url="$(python3 "$helper" runbook-url "$root/k8s/base/runbook-url.yaml")"
echo "  runbook URL: $runbook_url"
python3 "$helper" anchors "$rules" "$runbook" "$runbook_url"

current="(e') the bucket policies shown in docs/deploying.md are the files docs/bucket-policy-*.json (which BucketLeastPrivilegeIT enforces)"
step "$current"
python3 "$helper" bucket-policies "$root/docs/deploying.md" "$root/docs/bucket-policy-report.json" "$root/docs/bucket-policy-armed.json"

current="(f) Kubernetes manifests"
step "$current"
# kustomize v4.1+ (kubectl 1.21+) for `replacements`; Debian bookworm's kubernetes-client 1.20 is too old.
echo "$ kubectl version --client: $(kubectl version --client 2>&1 | paste -sd' ' -)"
kubectl kustomize "$root/k8s/base" > "$tmp/base.yaml"
echo "  ok  kubectl kustomize k8s/base ($(grep -c '^kind:' "$tmp/base.yaml") objects: $(grep '^kind:' "$tmp/base.yaml" | awk '{print $2}' | sort | paste -sd, -))"
kubectl kustomize "$root/k8s/sidecar" > "$tmp/sidecar.yaml"
echo "  ok  kubectl kustomize k8s/sidecar ($(grep '^kind:' "$tmp/sidecar.yaml" | awk '{print $2}' | sort | paste -sd, -))"
# The base only reports; only the armed overlay arms remediation.
if grep -qE 'RECONCILER_REMEDIATION_DRY_RUN' "$tmp/base.yaml" "$tmp/sidecar.yaml"; then
  echo "FAIL: k8s/base or k8s/sidecar sets RECONCILER_REMEDIATION_DRY_RUN (only k8s/armed may)"; exit 1
fi
kubectl kustomize "$root/k8s/armed" > "$tmp/armed.yaml"
# The runbook URL is a setting: rendered, every alert links the configured URL (the default here, another one in a
# copy whose runbook-url.yaml was changed), and the setting's ConfigMap itself is never rendered.
python3 "$helper" rendered-runbook-urls "$runbook" "$runbook_url" "$tmp/base.yaml" "$tmp/sidecar.yaml" "$tmp/armed.yaml" \
  > "$tmp/runbook-urls.log" || { cat "$tmp/runbook-urls.log"; exit 1; }
cp -r "$root/k8s" "$tmp/k8s-runbook"
forked_url="https://git.example.test/ops/dify-plugin-reconciler/-/blob/main/docs/runbook.md"
sed -i "s|^  url: .*|  url: $forked_url|" "$tmp/k8s-runbook/base/runbook-url.yaml"
kubectl kustomize "$tmp/k8s-runbook/base" > "$tmp/forked-base.yaml"
kubectl kustomize "$tmp/k8s-runbook/sidecar" > "$tmp/forked-sidecar.yaml"
python3 "$helper" rendered-runbook-urls "$runbook" "$forked_url" "$tmp/forked-base.yaml" "$tmp/forked-sidecar.yaml" \
  > "$tmp/runbook-urls-forked.log" || { cat "$tmp/runbook-urls-forked.log"; echo "FAIL: a changed k8s/base/runbook-url.yaml is not what the alerts link"; exit 1; }
echo "  ok  every rendered alert links the runbook URL of k8s/base/runbook-url.yaml (the default, and a changed one in base and sidecar)"
grep -q '^  RECONCILER_REMEDIATION_DRY_RUN: "false"$' "$tmp/armed.yaml" \
  || { echo "FAIL: k8s/armed does not set RECONCILER_REMEDIATION_DRY_RUN: \"false\""; exit 1; }
grep -q '^  RECONCILER_REMEDIATION_KINDS: ' "$tmp/armed.yaml" || { echo "FAIL: k8s/armed lists no RECONCILER_REMEDIATION_KINDS"; exit 1; }
grep -q 'name: RECONCILER_API_TOKEN' "$tmp/armed.yaml" || { echo "FAIL: k8s/armed does not pass RECONCILER_API_TOKEN"; exit 1; }
# local-storage.yaml must render too (it is commented out of the overlay: check it through a throwaway copy).
cp -r "$root/k8s" "$tmp/k8s-copy"
sed -i 's|^  # - path: local-storage.yaml.*|  - path: local-storage.yaml|' "$tmp/k8s-copy/armed/kustomization.yaml"
kubectl kustomize "$tmp/k8s-copy/armed" > "$tmp/armed-local.yaml"
python3 - "$tmp/armed-local.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
dep = next(d for d in docs if d["kind"] == "Deployment")
c = dep["spec"]["template"]["spec"]["containers"][0]
m = next(m for m in c["volumeMounts"] if m["name"] == "plugin-storage")
assert m["mountPath"] == "/app/storage" and not m.get("readOnly"), m
sc = c["securityContext"]
assert sc["runAsUser"] == 0 and sc["capabilities"]["drop"] == ["ALL"] and not sc["allowPrivilegeEscalation"], sc
assert any(v["name"] == "plugin-storage" for v in dep["spec"]["template"]["spec"]["volumes"])
PY
echo "  ok  kubectl kustomize k8s/armed: dry-run false, kinds listed, API token from a Secret; local-storage.yaml mounts read-write"
if grep -qE '^kind: (Deployment|ServiceAccount)$' "$tmp/sidecar.yaml"; then
  echo "FAIL: the sidecar overlay still renders a Deployment or ServiceAccount"; exit 1
fi
grep -q 'targetPort: reconciler-http' "$tmp/base.yaml" || { echo "FAIL: the Service does not target the port reconciler-http"; exit 1; }
grep -q 'targetPort: reconciler-http' "$tmp/sidecar.yaml" || { echo "FAIL: the sidecar overlay's Service does not target reconciler-http"; exit 1; }
# The management port (mutating endpoints with RECONCILER_API_MUTATING_ON=management) is declared on the container
# and kept out of every Service: whoever reaches a Service can read, never change anything.
grep -q 'name: reconciler-mgmt' "$tmp/base.yaml" || { echo "FAIL: the base Deployment does not declare the port reconciler-mgmt"; exit 1; }
python3 - "$tmp/base.yaml" "$tmp/sidecar.yaml" <<'PY'
import sys, yaml
for path in sys.argv[1:]:
    for svc in (d for d in yaml.safe_load_all(open(path)) if d and d["kind"] == "Service"):
        for p in svc["spec"]["ports"]:
            assert p.get("targetPort") not in ("reconciler-mgmt", 9000) and p.get("port") != 9000, (path, svc["metadata"]["name"], p)
PY
echo "  ok  the management port reconciler-mgmt is on the container and in no Service"
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
kubectl patch --local -f "$root/k8s/base/deployment.yaml" --type strategic \
  --patch-file "$root/k8s/examples/compose-env-patch.yaml" -o json > "$tmp/compose-env.json"
python3 - "$tmp/compose-env.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["spec"]["template"]["spec"]["containers"][0]
env = {e["name"]: e for e in c["env"]}
want = {"DB_DATABASE": "DB_PLUGIN_DATABASE", "S3_ENDPOINT": "PLUGIN_S3_ENDPOINT", "AWS_ACCESS_KEY": "PLUGIN_AWS_ACCESS_KEY",
        "AWS_SECRET_KEY": "PLUGIN_AWS_SECRET_KEY", "AWS_REGION": "PLUGIN_AWS_REGION"}
for name, key in want.items():
    ref = env[name]["valueFrom"].get("configMapKeyRef") or env[name]["valueFrom"]["secretKeyRef"]
    assert ref["key"] == key and ref["optional"] is True, (name, ref)
assert "JAVA_TOOL_OPTIONS" in env, "the patch must add to the container's env, not replace it"
print(f"  ok  k8s/examples/compose-env-patch.yaml remaps {', '.join(f'{k}<-{v}' for k, v in want.items())}")
PY

current="(g) the Helm post-renderer on both charts' rendered manifests"
step "$current"
renderer="$root/k8s/helm/post-renderer.sh"
[[ -x "$renderer" ]] || { echo "FAIL: $renderer is not executable"; exit 1; }
for chart in borispolonsky douban; do
  for local_storage in false true; do
    for armed in false true; do
      echo "-- $chart, RECONCILER_LOCAL_STORAGE=$local_storage RECONCILER_ARMED=$armed"
      out="$tmp/$chart-$local_storage$([[ $armed == true ]] && echo -armed || true).yaml"
      RECONCILER_LOCAL_STORAGE="$local_storage" RECONCILER_ARMED="$armed" "$renderer" "$chart" \
        < "$root/scripts/testdata/charts/$chart.yaml" > "$out"
      python3 "$helper" post-rendered "$chart" "$root/scripts/testdata/charts/$chart.yaml" "$out" "$local_storage" "$armed"
    done
  done
done
# The check must notice an armed sidecar that still mounts read-only, and a report-only one that mounts read-write.
sed 's/readOnly: false/readOnly: true/' "$tmp/douban-true-armed.yaml" > "$tmp/douban-armed-ro.yaml"
if python3 "$helper" post-rendered douban "$root/scripts/testdata/charts/douban.yaml" "$tmp/douban-armed-ro.yaml" true true > /dev/null; then
  echo "FAIL: an armed sidecar with a read-only storage mount was not caught"; exit 1
fi
echo "  ok  an armed sidecar that cannot write its storage is rejected"
# The check itself must catch the outage of the issue: a sidecar port named like the daemon's (`http`) on douban.
sed 's/reconciler-http/http/' "$tmp/douban-false.yaml" > "$tmp/douban-clash.yaml"
if python3 "$helper" post-rendered douban "$root/scripts/testdata/charts/douban.yaml" "$tmp/douban-clash.yaml" false false > "$tmp/clash.log"; then
  echo "FAIL: a sidecar port named 'http' on the douban chart was not caught"; exit 1
fi
grep -q "port name 'http' resolves to container 'dify-plugin-reconciler'" "$tmp/clash.log" \
  || { cat "$tmp/clash.log"; echo "FAIL: the port clash was rejected for another reason"; exit 1; }
echo "  ok  a port clash (sidecar port named 'http' on douban) is rejected"
# Helm must stop rather than deploy without the sidecar.
for bad in "RECONCILER_DAEMON_DEPLOYMENT=not-there borispolonsky" "RECONCILER_DAEMON_DEPLOYMENT=not-there douban" "RECONCILER_CHART= "; do
  if env ${bad% *} "$renderer" ${bad##* } < "$root/scripts/testdata/charts/douban.yaml" > "$tmp/bad.yaml" 2> "$tmp/bad.log"; then
    echo "FAIL: post-renderer.sh succeeded with $bad"; exit 1
  fi
  [[ ! -s "$tmp/bad.yaml" ]] || { echo "FAIL: post-renderer.sh wrote manifests although it failed ($bad)"; exit 1; }
  echo "  ok  post-renderer.sh fails with nothing on stdout for: $bad ($(grep -o 'post-renderer.sh: .*' "$tmp/bad.log" | head -1))"
done

current=""
printf '\ncheck-ops-assets: all checks passed\n'
