#!/usr/bin/env bash
# Builds helm from the Go module proxy (`go install helm.sh/helm/v<major>/cmd/helm@<version>`) into
#   ${KONGRESS_HELM_CACHE:-$HOME/.cache/kongress/helm}/<version>/helm
# and prints that path on stdout. Progress goes to stderr. Does nothing but print the path when the
# binary is already there. The versions are pinned in helm-versions.txt beside this script; the
# argument picks one by major version (3 or 4, default 3).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf 'helm: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

major=${1:-3}
version=$(sed -n "s|^helm.sh/helm/v$major \(v$major\.[0-9][^ ]*\)$|\1|p" "$here/helm-versions.txt")
[[ -n $version ]] || die "no helm v$major version pinned in $here/helm-versions.txt"

bin_dir=${KONGRESS_HELM_CACHE:-$HOME/.cache/kongress/helm}/$version
if [[ -x $bin_dir/helm ]]; then
  echo "$bin_dir/helm"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "'go' is not on PATH; Go >= 1.24 builds helm (or set KONGRESS_HELM to a helm binary)"

mkdir -p "$bin_dir"
# Serialise concurrent builders (parallel test workers, two checkouts).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$bin_dir/.lock"
  flock 9
  if [[ -x $bin_dir/helm ]]; then
    echo "$bin_dir/helm"
    exit 0
  fi
fi

# local: never download another toolchain; CGO off: no C compiler needed. Outside any module, so
# the repository's own go.mod files cannot influence the build.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=
cd "$(mktemp -d)"
start=$SECONDS
log "building helm $version with $(go env GOVERSION) (cold: about 2-4 min on 2 cores)"
# `helm version` reports the release, as the published binaries do.
GOBIN="$bin_dir/.tmp" go install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v$major/internal/version.version=$version -X helm.sh/helm/v$major/internal/version.gitTreeState=clean" \
  "helm.sh/helm/v$major/cmd/helm@$version"
# Rename last, so an interrupted build never leaves a binary that looks complete.
mv "$bin_dir/.tmp/helm" "$bin_dir/helm"
rmdir "$bin_dir/.tmp"
log "built $("$bin_dir/helm" version --short) in $((SECONDS - start))s"
echo "$bin_dir/helm"
