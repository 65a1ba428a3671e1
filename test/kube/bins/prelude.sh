# shellcheck shell=bash
# Sourced by build.sh and build-control-plane.sh: what both need before `go build` of Kubernetes
# commands from the wrapper module beside this file.
#   here, log, die       this folder; progress to stderr; stop with an error
#   kube_version, kube_minor, bin_dir
#                        the k8s.io/kubernetes release pinned in go.mod, and its cache directory
#                        ${KONGRESS_KUBE_BIN_CACHE:-$HOME/.cache/kongress/kubebins}/<k8s-version>/
#   kube_ldflags         upstream's version stamp (hack/lib/version.sh), so /version and --version
#                        report the real release; one set of flags for every command, so packages
#                        shared between them come from Go's build cache
#   prepare_build        print bin_dir and exit when the binaries are cached; otherwise take the
#                        build lock and set up the Go environment, in this folder

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf 'kubebins: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

kube_version=$(sed -n 's|^[[:space:]]*k8s\.io/kubernetes \(v[0-9][^ ]*\).*|\1|p' "$here/go.mod")
[[ $kube_version =~ ^v1\.([0-9]+)\.[0-9]+$ ]] || die "cannot read the k8s.io/kubernetes version from $here/go.mod"
kube_minor=${BASH_REMATCH[1]}

bin_dir=${KONGRESS_KUBE_BIN_CACHE:-$HOME/.cache/kongress/kubebins}/$kube_version

kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor -X $pkg.gitTreeState=clean"
done
unset pkg

# Whether every named binary is in bin_dir.
have_binaries() {
  local name
  for name in "$@"; do [[ -x $bin_dir/$name ]] || return 1; done
}

# prepare_build WHAT NO_GO_HINT BINARY...
# Prints bin_dir and exits when every BINARY is cached (WHAT names them in the log). Otherwise needs
# go (NO_GO_HINT says what to do without it), waits for the lock of bin_dir, checks the cache again
# (another process may have built them meanwhile), then sets up the Go environment and enters this
# folder. Call it in the script's own shell, never in $(...): it exits the script and keeps the lock
# open on fd 9 until the script ends.
prepare_build() {
  local what=$1 no_go_hint=$2
  shift 2
  if have_binaries "$@"; then
    log "using cached $what in $bin_dir"
    echo "$bin_dir"
    exit 0
  fi
  command -v go >/dev/null 2>&1 || die "'go' is not on PATH. $no_go_hint"
  mkdir -p "$bin_dir"
  # One lock for every build into bin_dir: parallel test workers and two checkouts wait for each
  # other, and two Kubernetes builds at once would only slow each other down.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$bin_dir/.lock"
    flock 9
    if have_binaries "$@"; then
      log "another process built $what in $bin_dir"
      echo "$bin_dir"
      exit 0
    fi
  fi
  # local: never download another toolchain; CGO off: no C compiler needed.
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly"
  cd "$here" || die "cannot enter $here"
}
