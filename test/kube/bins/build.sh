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

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf 'kubebins: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

kube_version=$(sed -n 's|^[[:space:]]*k8s\.io/kubernetes \(v[0-9][^ ]*\).*|\1|p' "$here/go.mod")
[[ $kube_version =~ ^v1\.([0-9]+)\.[0-9]+$ ]] || die "cannot read the k8s.io/kubernetes version from $here/go.mod"
kube_minor=${BASH_REMATCH[1]}

bin_dir=${KONGRESS_KUBE_BIN_CACHE:-$HOME/.cache/kongress/kubebins}/$kube_version
if [[ -x $bin_dir/kube-apiserver && -x $bin_dir/etcd ]]; then
  log "using cached binaries in $bin_dir"
  echo "$bin_dir"
  exit 0
fi

command -v go >/dev/null 2>&1 ||
  die "'go' is not on PATH. Install Go >= 1.24 (or put prebuilt kube-apiserver and etcd on PATH, or set KONGRESS_KUBE_APISERVER and KONGRESS_ETCD)."

mkdir -p "$bin_dir"
# Serialise concurrent builders (parallel test workers, two checkouts).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$bin_dir/.lock"
  flock 9
  if [[ -x $bin_dir/kube-apiserver && -x $bin_dir/etcd ]]; then
    log "another process built the binaries in $bin_dir"
    echo "$bin_dir"
    exit 0
  fi
fi

# local: never download another toolchain; CGO off: no C compiler needed.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly"
cd "$here"

# Mirrors upstream hack/lib/version.sh, so /version reports the real release.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor -X $pkg.gitTreeState=clean"
done

start=$SECONDS
log "building kube-apiserver $kube_version with $(go env GOVERSION) (cold: 5-8 min on 2 cores)"
go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" \
  -o "$bin_dir/.kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
log "kube-apiserver built after $((SECONDS - start))s; building etcd"
go build -trimpath -ldflags "-s -w" -o "$bin_dir/.etcd.tmp" go.etcd.io/etcd/server/v3

# Rename last, so an interrupted build never leaves a binary that looks complete.
mv "$bin_dir/.kube-apiserver.tmp" "$bin_dir/kube-apiserver"
mv "$bin_dir/.etcd.tmp" "$bin_dir/etcd"
log "built in $((SECONDS - start))s: $("$bin_dir/kube-apiserver" --version), etcd $("$bin_dir/etcd" --version | sed -n 's/^etcd Version: //p')"
echo "$bin_dir"
