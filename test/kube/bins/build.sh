#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the published Go modules pinned in the
# go.mod beside this script, into
#   ${KONGRESS_KUBE_BIN_CACHE:-$HOME/.cache/kongress/kubebins}/<k8s-version>/
# and prints that directory on stdout. Progress goes to stderr. Does nothing
# but print the directory when both binaries are already there.
#
# Why a wrapper module: `go install k8s.io/kubernetes/cmd/kube-apiserver@v`
# is refused (its go.mod has replace directives); see
# shared/reference/kube-testing.md §1-2.
set -euo pipefail

# shellcheck source=prelude.sh
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"

prepare_build "kube-apiserver and etcd" \
  "Install Go >= 1.24 (or put prebuilt kube-apiserver and etcd on PATH, or set KONGRESS_KUBE_APISERVER and KONGRESS_ETCD)." \
  kube-apiserver etcd

start=$SECONDS
log "building kube-apiserver $kube_version with $(go env GOVERSION) (cold: 5-8 min on 2 cores)"
go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$kube_ldflags" \
  -o "$bin_dir/.kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
log "kube-apiserver built after $((SECONDS - start))s; building etcd"
go build -trimpath -ldflags "-s -w" -o "$bin_dir/.etcd.tmp" go.etcd.io/etcd/server/v3

# Rename last, so an interrupted build never leaves a binary that looks complete.
mv "$bin_dir/.kube-apiserver.tmp" "$bin_dir/kube-apiserver"
mv "$bin_dir/.etcd.tmp" "$bin_dir/etcd"
log "built in $((SECONDS - start))s: $("$bin_dir/kube-apiserver" --version), etcd $("$bin_dir/etcd" --version | sed -n 's/^etcd Version: //p')"
echo "$bin_dir"
