#!/usr/bin/env bash
# Builds kube-controller-manager and kube-scheduler from the wrapper module beside this script, so
# they are always of the kube-apiserver's release, into the same cache directory as build.sh:
#   ${KONGRESS_KUBE_BIN_CACHE:-$HOME/.cache/kongress/kubebins}/<k8s-version>/
# and prints that directory on stdout. Progress goes to stderr. Does nothing but print the directory
# when both binaries are already there.
#
# They make Deployments, Pods and EndpointSlices real for the Gateway API conformance suite (no
# kubelet: kwok plays the node; see test/support/kube/control-plane.ts). Most of their packages are
# the kube-apiserver's, so after build.sh this adds only a few minutes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf 'kubebins: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

kube_version=$(sed -n 's|^[[:space:]]*k8s\.io/kubernetes \(v[0-9][^ ]*\).*|\1|p' "$here/go.mod")
[[ $kube_version =~ ^v1\.([0-9]+)\.[0-9]+$ ]] || die "cannot read the k8s.io/kubernetes version from $here/go.mod"
kube_minor=${BASH_REMATCH[1]}

bin_dir=${KONGRESS_KUBE_BIN_CACHE:-$HOME/.cache/kongress/kubebins}/$kube_version
built() { [[ -x $bin_dir/kube-controller-manager && -x $bin_dir/kube-scheduler ]]; }
if built; then
  log "using cached kube-controller-manager and kube-scheduler in $bin_dir"
  echo "$bin_dir"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "'go' is not on PATH. Install Go >= 1.24."

mkdir -p "$bin_dir"
# The same lock as build.sh: two Kubernetes builds at once would only slow each other down.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$bin_dir/.lock"
  flock 9
  if built; then
    log "another process built kube-controller-manager and kube-scheduler in $bin_dir"
    echo "$bin_dir"
    exit 0
  fi
fi

# local: never download another toolchain; CGO off: no C compiler needed.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly"
cd "$here"

# The flags of build.sh, so the packages shared with kube-apiserver come from the build cache.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor -X $pkg.gitTreeState=clean"
done

for cmd in kube-scheduler kube-controller-manager; do
  start=$SECONDS
  log "building $cmd $kube_version with $(go env GOVERSION)"
  go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" \
    -o "$bin_dir/.$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
  log "$cmd built in $((SECONDS - start))s"
done

# Rename last, so an interrupted build never leaves a binary that looks complete.
mv "$bin_dir/.kube-scheduler.tmp" "$bin_dir/kube-scheduler"
mv "$bin_dir/.kube-controller-manager.tmp" "$bin_dir/kube-controller-manager"
log "$("$bin_dir/kube-controller-manager" --version), $("$bin_dir/kube-scheduler" --version)"
echo "$bin_dir"
