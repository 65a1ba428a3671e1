#!/usr/bin/env bash
# Builds kube-controller-manager and kube-scheduler from the wrapper module beside this script, so
# they are always of the kube-apiserver's release, into the same cache directory as build.sh:
#   ${KONGRESS_KUBE_BIN_CACHE:-$HOME/.cache/kongress/kubebins}/<k8s-version>/
# and prints that directory on stdout. Progress goes to stderr. Does nothing but print the directory
# when both binaries are already there.
#
# They make Deployments, Pods and EndpointSlices real for the Gateway API conformance suite (no
# kubelet: kwok plays the node; see test/support/kube/control-plane.ts). Most of their packages are
# the kube-apiserver's, built with the same flags (prelude.sh), so after build.sh this adds only a
# few minutes.
set -euo pipefail

# shellcheck source=prelude.sh
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"

prepare_build "kube-controller-manager and kube-scheduler" "Install Go >= 1.24." \
  kube-controller-manager kube-scheduler

for cmd in kube-scheduler kube-controller-manager; do
  start=$SECONDS
  log "building $cmd $kube_version with $(go env GOVERSION)"
  go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$kube_ldflags" \
    -o "$bin_dir/.$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
  log "$cmd built in $((SECONDS - start))s"
done

# Rename last, so an interrupted build never leaves a binary that looks complete.
mv "$bin_dir/.kube-scheduler.tmp" "$bin_dir/kube-scheduler"
mv "$bin_dir/.kube-controller-manager.tmp" "$bin_dir/kube-controller-manager"
log "$("$bin_dir/kube-controller-manager" --version), $("$bin_dir/kube-scheduler" --version)"
echo "$bin_dir"
