#!/usr/bin/env bash
# Helm post-renderer: adds dify-plugin-reconciler as a sidecar to the plugin daemon's Deployment of a Dify
# chart, on every `helm install/upgrade/template`, so nobody hand-patches the live object (which `--force`,
# Argo CD or Flux self-heal would drop). Reads the chart's rendered manifests on stdin, writes them to stdout
# with the sidecar added; every other object passes through (kustomize re-serialises it; content unchanged).
#
#   RECONCILER_CHART=borispolonsky helm upgrade dify dify/dify -n dify --post-renderer k8s/helm/post-renderer.sh
#   helm upgrade dify douban/dify --post-renderer k8s/helm/post-renderer.sh --post-renderer-args douban
#
# Settings (environment, or the first argument for the chart):
#   RECONCILER_CHART              borispolonsky (BorisPolonsky/dify-helm) | douban (douban/charts `dify`);
#                                 required: container, port, volume and settings sources differ per chart
#   RECONCILER_DAEMON_DEPLOYMENT  the daemon Deployment's name; default dify-plugin-daemon (release `dify`;
#                                 `<release>-dify-plugin-daemon` for other release names)
#   RECONCILER_LOCAL_STORAGE      true: PLUGIN_STORAGE_TYPE=local, mount the daemon's storage volume read-only at
#                                 /app/storage (the chart's volume name) and set PLUGIN_STORAGE_LOCAL_ROOT;
#                                 default false (S3: the daemon's volume may not exist, never mount it then)
#   RECONCILER_STORAGE_SUBPATH    the subPath the daemon mounts its volume with (BorisPolonsky's
#                                 pluginDaemon.persistence.persistentVolumeClaim.subPath); default empty
#   RECONCILER_ARMED              true: armed remediation (k8s/sidecar/armed-patch.yaml: dry-run off for the
#                                 kinds listed there) and, with local storage, the daemon's volume mounted
#                                 read-write and the container run as uid 0, the files' owner
#                                 (armed-local-storage.yaml); default false (the sidecar only reports, and
#                                 mounts read-only)
#
# The reconciler's own objects (Service, ConfigMap, ServiceMonitor, PrometheusRule) are not part of the chart:
# `kubectl apply -k k8s/sidecar -n <ns>` once. Needs kubectl (kustomize built in). Exits non-zero, printing why,
# when kustomize fails or the daemon Deployment is not in the input: Helm then stops instead of deploying
# without the sidecar.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sidecar="$here/../sidecar"
chart="${1:-${RECONCILER_CHART:-}}"
deployment="${RECONCILER_DAEMON_DEPLOYMENT:-dify-plugin-daemon}"
local_storage="${RECONCILER_LOCAL_STORAGE:-false}"
subpath="${RECONCILER_STORAGE_SUBPATH:-}"
armed="${RECONCILER_ARMED:-false}"

die() { echo "post-renderer.sh: $*" >&2; exit 1; }
case "$chart" in
  borispolonsky | douban) ;;
  "") die "say which chart rendered the input: RECONCILER_CHART=borispolonsky|douban (or the first argument)" ;;
  *) die "unknown chart '$chart' (borispolonsky | douban)" ;;
esac
case "$local_storage" in true | false) ;; *) die "RECONCILER_LOCAL_STORAGE must be true or false, not '$local_storage'" ;; esac
case "$armed" in true | false) ;; *) die "RECONCILER_ARMED must be true or false, not '$armed'" ;; esac
[[ "$deployment" =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || die "RECONCILER_DAEMON_DEPLOYMENT='$deployment' is not a Kubernetes name"
[[ "$subpath" != *[\"\\@]* && "$subpath" != *$'\n'* ]] || die "RECONCILER_STORAGE_SUBPATH contains a character it cannot have"
command -v kubectl >/dev/null || die "kubectl not found (it builds the kustomization)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/rendered.yaml"
[[ -s "$tmp/rendered.yaml" ]] || die "no manifests on stdin"

# The chart's files name the daemon Deployment @DAEMON_DEPLOYMENT@ (and the storage subPath @STORAGE_SUBPATH@).
fill() { sed -e "s|@DAEMON_DEPLOYMENT@|$deployment|g" -e "s|@STORAGE_SUBPATH@|$subpath|g" "$1" > "$2"; }
fill "$sidecar/daemon-patch.yaml" "$tmp/daemon-patch.yaml"
fill "$sidecar/charts/$chart/patch.yaml" "$tmp/chart-patch.yaml"
target="    target: {group: apps, kind: Deployment, name: $deployment}"
{
  echo "apiVersion: kustomize.config.k8s.io/v1beta1"
  echo "kind: Kustomization"
  echo "resources: [rendered.yaml]"
  echo "patches:"
  echo "  - path: daemon-patch.yaml"
  echo "$target"
  echo "  - path: chart-patch.yaml"
  echo "$target"
  if [[ "$local_storage" == true ]]; then
    fill "$sidecar/charts/$chart/local-storage.yaml" "$tmp/local-storage.yaml"
    if [[ "$armed" == true ]]; then
      # Remediation copies and quarantines objects in the daemon's folder.
      grep -q '^ *readOnly: true$' "$tmp/local-storage.yaml" || die "charts/$chart/local-storage.yaml has no readOnly line to flip"
      sed -i 's/^\( *\)readOnly: true$/\1readOnly: false/' "$tmp/local-storage.yaml"
    fi
    echo "  - path: local-storage.yaml"
    echo "$target"
    if [[ "$armed" == true ]]; then
      fill "$sidecar/armed-local-storage.yaml" "$tmp/armed-local-storage.yaml"
      echo "  - path: armed-local-storage.yaml"
      echo "$target"
    fi
  fi
  if [[ "$armed" == true ]]; then
    fill "$sidecar/armed-patch.yaml" "$tmp/armed-patch.yaml"
    echo "  - path: armed-patch.yaml"
    echo "$target"
  fi
  if [[ -f "$sidecar/charts/$chart/replacements.yaml" ]]; then
    fill "$sidecar/charts/$chart/replacements.yaml" "$tmp/replacements.yaml"
    echo "replacements:"
    echo "  - path: replacements.yaml"
  fi
} > "$tmp/kustomization.yaml"

kubectl kustomize "$tmp" > "$tmp/out.yaml" || die "kubectl kustomize failed (see above); nothing was rendered"
# A patch whose target matches nothing is silently skipped by kustomize: check that the sidecar is really there.
grep -q '^  name: '"$deployment"'$' "$tmp/out.yaml" || die "no Deployment named '$deployment' in the input (set RECONCILER_DAEMON_DEPLOYMENT)"
grep -q -- '- name: dify-plugin-reconciler$\|^ *name: dify-plugin-reconciler$' "$tmp/out.yaml" \
  || die "the sidecar was not added to Deployment '$deployment'"
cat "$tmp/out.yaml"
