#!/usr/bin/env bash
# Builds, from the Go module beside this script, what the Gateway API conformance run needs beyond
# the Kubernetes binaries:
#   - kwok (sigs.k8s.io/kwok/cmd/kwok, the tool in go.mod), which plays the node: it makes scheduled
#     Pods Running and Ready without a kubelet;
#   - the conformance driver (conformance_test.go), a Go test binary.
# into ${KONGRESS_KUBE_BIN_CACHE:-$HOME/.cache/kongress/kubebins}/, kwok by its version
# (kwok-<version>/kwok) and the driver by a hash of its sources (conformance-<hash>/conformance.test).
# Prints on stdout `kwok=<path>`, `kwok_stages=<dir>` (kwok's stock Stage manifests, in the module
# cache) and `driver=<path>`, one per line. Progress goes to stderr.
#
# One module for both: kwok and the suite require the same k8s.io libraries, so the packages they
# share compile once.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf 'conformance: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "'go' is not on PATH. Install Go >= 1.26."
# local: never download another toolchain; CGO off: no C compiler needed.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly"
cd "$here"

kwok_version=$(go list -m -f '{{.Version}}' sigs.k8s.io/kwok)
sources_hash=$( (go env GOVERSION && cat go.mod go.sum ./*.go) | sha256sum | cut -c1-16)
cache=${KONGRESS_KUBE_BIN_CACHE:-$HOME/.cache/kongress/kubebins}
kwok_bin=$cache/kwok-$kwok_version/kwok
driver_bin=$cache/conformance-$sources_hash/conformance.test

built() { [[ -x $kwok_bin && -x $driver_bin ]]; }
if ! built; then
  mkdir -p "$(dirname "$kwok_bin")" "$(dirname "$driver_bin")"
  # Serialise concurrent builders (parallel test runs, two checkouts).
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/.conformance.lock"
    flock 9
  fi
  if [[ ! -x $kwok_bin ]]; then
    start=$SECONDS
    log "building kwok $kwok_version with $(go env GOVERSION)"
    go build -trimpath -ldflags "-s -w" -o "$kwok_bin.tmp" sigs.k8s.io/kwok/cmd/kwok
    mv "$kwok_bin.tmp" "$kwok_bin"
    log "kwok built in $((SECONDS - start))s"
  fi
  if [[ ! -x $driver_bin ]]; then
    start=$SECONDS
    log "building the conformance driver (sigs.k8s.io/gateway-api/conformance $(go list -m -f '{{.Version}}' sigs.k8s.io/gateway-api/conformance))"
    go test -c -trimpath -o "$driver_bin.tmp" .
    mv "$driver_bin.tmp" "$driver_bin"
    log "conformance driver built in $((SECONDS - start))s"
  fi
fi

echo "kwok=$kwok_bin"
echo "kwok_stages=$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage"
echo "driver=$driver_bin"
