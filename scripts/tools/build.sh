#!/usr/bin/env bash
# Builds (from the Go module proxy) and caches, keyed by version, the binaries
# the test-suite needs. See scripts/tools/README.md.
#
#   scripts/tools/build.sh <tool>... | all        build what is missing; stdout: <tool>=<dir>
#   scripts/tools/build.sh --print <tool>... | all print the cached dir(s); exit 1 if absent
# shellcheck disable=SC2317 # build_<tool>/verify_<tool> are invoked indirectly
set -euo pipefail

# --------------------------------------------------------------------------
# Pinned versions -- the ONE place to change them (each overridable by env).
MINIO_VERSION="${GGB_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"                   # github.com/minio/minio
KWOK_VERSION="${GGB_KWOK_VERSION:-v0.8.0}"                                                  # sigs.k8s.io/kwok
KUBE_VERSION="${GGB_KUBE_VERSION:-v1.36.3}"                                                 # k8s.io/kubernetes
KUBE_STAGING_VERSION="${GGB_KUBE_STAGING_VERSION:-v0.${KUBE_VERSION#v1.}}"                  # k8s.io/<staging> (v1.X.Y -> v0.X.Y)
PULUMI_VERSION="${GGB_PULUMI_VERSION:-v3.274.1}"                                            # github.com/pulumi/pulumi/{pkg,sdk}/v3
PULUMI_K8S_MODULE_VERSION="${GGB_PULUMI_K8S_MODULE_VERSION:-v4.0.0-20260115033456-f47bc2d6f199}" # github.com/pulumi/pulumi-kubernetes/provider/v4
PULUMI_K8S_VERSION="${GGB_PULUMI_K8S_VERSION:-4.34.2}"                                      # version it reports (= @pulumi/kubernetes npm version)
PULUMI_YAML_VERSION="${GGB_PULUMI_YAML_VERSION:-v1.25.0}"                                   # github.com/pulumi/pulumi-yaml
RCLONE_VERSION="${GGB_RCLONE_VERSION:-v1.76.0}"                                             # github.com/rclone/rclone (npm run bench's comparison S3 client)
PROMETHEUS_VERSION="${GGB_PROMETHEUS_VERSION:-v0.316.0}"                                    # github.com/prometheus/prometheus (promtool: the alert rules' tests)
PROMETHEUS_OPERATOR_VERSION="${GGB_PROMETHEUS_OPERATOR_VERSION:-v0.88.0}"                   # github.com/prometheus-operator/prometheus-operator (its PrometheusRule CRD)
AGE_VERSION="${GGB_AGE_VERSION:-v1.3.2}"                                                     # filippo.io/age (the encryption tool the encrypted sets' tests copy into the jobs)
# --------------------------------------------------------------------------

TOOLS=(age minio kwok kube kubectl pulumi pulumi-resource-kubernetes pulumi-language-yaml) # `all`: what the tests need, in build order
BENCH_TOOLS=(rclone)                                                           # built only when named (npm run bench)
ALERT_TOOLS=(promtool prometheus-crds)                                         # built when named: scripts/test.sh builds them beside the suites
CACHE="${GGB_CACHE:-$HOME/.cache/pulumi-gitguardian-backup}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

export CGO_ENABLED=0
# For builds inside wrapper modules (they resolve go.mod/go.sum on the fly).
WRAP_GOFLAGS="-mod=mod -buildvcs=false"
# Let the go command fetch a newer toolchain (through the module proxy) if a pinned module needs one.
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

die() { echo "build.sh: $*" >&2; exit 1; }

usage() {
  echo "usage: $0 [--print] <tool>...|all   (tools: ${TOOLS[*]} ${BENCH_TOOLS[*]} ${ALERT_TOOLS[*]})" >&2
  exit 2
}

# Version key used in the cache dir name.
tool_key() {
  case "$1" in
    minio) echo "$MINIO_VERSION" ;;
    rclone) echo "$RCLONE_VERSION" ;;
    promtool) echo "$PROMETHEUS_VERSION" ;;
    age) echo "$AGE_VERSION" ;;
    prometheus-crds) echo "$PROMETHEUS_OPERATOR_VERSION" ;;
    kwok) echo "$KWOK_VERSION" ;;
    kube) echo "$KUBE_VERSION" ;;
    kubectl) echo "$KUBE_VERSION" ;;
    pulumi) echo "$PULUMI_VERSION" ;;
    pulumi-resource-kubernetes) echo "${PULUMI_K8S_VERSION}_${PULUMI_K8S_MODULE_VERSION}" ;;
    pulumi-language-yaml) echo "$PULUMI_YAML_VERSION" ;;
    *) die "unknown tool '$1' (tools: ${TOOLS[*]} ${BENCH_TOOLS[*]} ${ALERT_TOOLS[*]})" ;;
  esac
}

tool_bins() {
  case "$1" in
    kube) echo "kube-apiserver kube-controller-manager" ;;
    prometheus-crds) echo "monitoring.coreos.com_prometheusrules.yaml" ;;
    age) echo "age age-keygen" ;;
    *) echo "$1" ;;
  esac
}

tool_estimate() {
  case "$1" in
    minio) echo "about 3 min" ;;
    rclone) echo "about 3 min" ;;
    promtool) echo "about 5 min" ;;
    age) echo "about 20 s" ;;
    prometheus-crds) echo "seconds" ;;
    kwok) echo "about 2 min" ;;
    kube) echo "about 8 min" ;;
    kubectl) echo "about 3 min after kube" ;;
    pulumi) echo "about 6 min" ;;
    pulumi-resource-kubernetes) echo "about 9 min" ;;
    pulumi-language-yaml) echo "about 3 min" ;;
  esac
}

tool_dir() { echo "$CACHE/bin/$1-$(tool_key "$1")"; }

tool_present() {
  local dir b
  dir="$(tool_dir "$1")"
  for b in $(tool_bins "$1"); do
    # A binary, or a data file (the CRD manifests).
    [[ -x "$dir/$b" || ("$b" == *.yaml && -f "$dir/$b") ]] || return 1
  done
}

# ---- helpers for wrapper modules -----------------------------------------

# go mod download -json <module@version>: prints the JSON; fails (with the
# reason on stderr) if the module version cannot be fetched.
mod_info() {
  local json
  if ! json="$(go mod download -json "$1")"; then
    jq -r '.Error // empty' <<<"$json" >&2 || true
    die "cannot download $1"
  fi
  printf '%s\n' "$json"
}

# Copy a module's own replace directives that point at other module versions
# (those are ignored once it is a dependency) into the current wrapper module.
# Directory replaces (=> ./x, => ../x) are skipped.
copy_module_replaces() {
  local gomod="$1" spec
  while IFS= read -r spec; do
    [[ -n "$spec" ]] && go mod edit -replace="$spec"
  done < <(go mod edit -json "$gomod" | jq -r '
    .Replace // [] | .[] | select(.New.Version != null)
    | "\(.Old.Path)\(if .Old.Version then "@" + .Old.Version else "" end)=\(.New.Path)@\(.New.Version)"')
}

# Fail unless the wrapper module (cwd) resolved <module> to exactly <version>.
require_version() {
  local got
  got="$(GOFLAGS="$WRAP_GOFLAGS" go list -m -f '{{.Version}}' "$1")"
  [[ "$got" == "$2" ]] || die "$1 resolved to $got, expected $2"
}

new_wrapper_module() { # <dir>
  mkdir -p "$1"
  (cd "$1" && go mod init ggb.local/toolwrapper >/dev/null 2>&1)
}

# ---- recipes: build_<tool> <outdir> ---------------------------------------

build_minio() {
  local out="$1" ldflags="-s -w" v="$MINIO_VERSION"
  # Give `minio --version` a meaningful value when pinned to a pseudo-version.
  if [[ "$v" =~ ^v0\.0\.0-([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})-([0-9a-f]{12})$ ]]; then
    local r=("${BASH_REMATCH[@]}")
    local ts="${r[1]}-${r[2]}-${r[3]}T${r[4]}:${r[5]}:${r[6]}Z"
    ldflags+=" -X github.com/minio/minio/cmd.Version=$ts"
    ldflags+=" -X github.com/minio/minio/cmd.ReleaseTag=DEVELOPMENT.${ts//:/-}"
    ldflags+=" -X github.com/minio/minio/cmd.CommitID=${r[7]}"
    ldflags+=" -X github.com/minio/minio/cmd.ShortCommitID=${r[7]}"
    ldflags+=" -X github.com/minio/minio/cmd.CopyrightYear=${r[1]}"
  fi
  GOBIN="$out" nice go install -trimpath -ldflags "$ldflags" "github.com/minio/minio@$v"
}

# rclone with only what the benchmark uses (the S3 and local backends; rcat, copyto, version): the
# same code paths as the full binary, in a fraction of its build time.
build_rclone() {
  local out="$1" work="$2/mod"
  new_wrapper_module "$work"
  cd "$work"
  cat >main.go <<'GO'
package main

import (
	_ "github.com/rclone/rclone/backend/local"
	_ "github.com/rclone/rclone/backend/s3"
	"github.com/rclone/rclone/cmd"
	_ "github.com/rclone/rclone/cmd/copyto"
	_ "github.com/rclone/rclone/cmd/rcat"
	_ "github.com/rclone/rclone/cmd/version"
)

func main() { cmd.Main() }
GO
  GOFLAGS="$WRAP_GOFLAGS" go get "github.com/rclone/rclone@$RCLONE_VERSION"
  require_version github.com/rclone/rclone "$RCLONE_VERSION"
  GOFLAGS="$WRAP_GOFLAGS" nice go build -trimpath -o "$out/rclone" \
    -ldflags "-s -w -X github.com/rclone/rclone/fs.Version=$RCLONE_VERSION" .
}
build_kwok() {
  local out="$1"
  GOBIN="$out" nice go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
}

# The wrapper module of the k8s.io/kubernetes commands (cwd afterwards); sets KUBE_LDFLAGS.
kube_wrapper_module() { # <dir>
  local work="$1" info gomod date mod
  info="$(mod_info "k8s.io/kubernetes@$KUBE_VERSION")"
  gomod="$(jq -r .GoMod <<<"$info")"
  date="$(jq -r '.Time // empty' <<<"$info")"
  new_wrapper_module "$work"
  cd "$work"
  go mod edit -require="k8s.io/kubernetes@$KUBE_VERSION"
  # k8s.io/kubernetes replaces its staging modules (required at v0.0.0) with
  # ./staging/src/k8s.io/<m>; point each at its published version instead.
  while IFS= read -r mod; do
    go mod edit -replace="$mod=$mod@$KUBE_STAGING_VERSION"
  done < <(go mod edit -json "$gomod" | jq -r '
    [.Require[]?.Path] as $req
    | .Replace // [] | .[]
    | select(.New.Version == null and (.New.Path | startswith("./staging/")))
    | .Old.Path | select(. as $p | $req | index($p))')
  copy_module_replaces "$gomod"
  local ver="${KUBE_VERSION#v}" kv
  local major="${ver%%.*}" rest="${ver#*.}"
  local minor="${rest%%.*}"
  KUBE_LDFLAGS=(-s -w)
  for kv in "gitVersion=$KUBE_VERSION" "gitMajor=$major" "gitMinor=$minor" "gitTreeState=clean" ${date:+"buildDate=$date"}; do
    KUBE_LDFLAGS+=("-X" "k8s.io/component-base/version.$kv" "-X" "k8s.io/client-go/pkg/version.$kv")
  done
}

build_kube() {
  local out="$1"
  kube_wrapper_module "$2/mod"
  # Always pin the version in `go get`: a bare package path means @upgrade.
  GOFLAGS="$WRAP_GOFLAGS" go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@$KUBE_VERSION"
  require_version k8s.io/kubernetes "$KUBE_VERSION"
  GOFLAGS="$WRAP_GOFLAGS" nice go build -trimpath -ldflags "${KUBE_LDFLAGS[*]}" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
}

# The kubectl of the kots job's image, from the same module and version as the API server (its
# packages are mostly compiled by then: a few minutes more).
build_kubectl() {
  local out="$1"
  kube_wrapper_module "$2/mod"
  GOFLAGS="$WRAP_GOFLAGS" go get "k8s.io/kubernetes/cmd/kubectl@$KUBE_VERSION"
  require_version k8s.io/kubernetes "$KUBE_VERSION"
  GOFLAGS="$WRAP_GOFLAGS" nice go build -trimpath -ldflags "${KUBE_LDFLAGS[*]}" -o "$out/" k8s.io/kubernetes/cmd/kubectl
}

build_pulumi() {
  local out="$1" work="$2/mod" gomod
  gomod="$(mod_info "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" | jq -r .GoMod)"
  new_wrapper_module "$work"
  cd "$work"
  go mod edit -require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" \
    -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
  copy_module_replaces "$gomod" # e.g. github.com/atotto/clipboard => fork
  GOFLAGS="$WRAP_GOFLAGS" go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION" \
    "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
  require_version github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION"
  require_version github.com/pulumi/pulumi/sdk/v3 "$PULUMI_VERSION"
  GOFLAGS="$WRAP_GOFLAGS" nice go build -trimpath -o "$out/pulumi" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}

build_pulumi-resource-kubernetes() {
  local out="$1" work="$2/mod" info gomod dir src
  local m=github.com/pulumi/pulumi-kubernetes/provider/v4
  info="$(mod_info "$m@$PULUMI_K8S_MODULE_VERSION")"
  gomod="$(jq -r .GoMod <<<"$info")"
  dir="$(jq -r .Dir <<<"$info")"
  src="$dir/cmd/pulumi-resource-kubernetes"
  [[ -f "$src/schema.json" && -f "$src/terraform-mapping.json" ]] \
    || die "schema.json / terraform-mapping.json not found in $src"
  new_wrapper_module "$work"
  cd "$work"
  go mod edit -require="$m@$PULUMI_K8S_MODULE_VERSION"
  copy_module_replaces "$gomod"
  # The upstream main.go embeds files produced by its generate.go (which
  # minifies schema.json with .version set); do the same here.
  jq -c --arg v "$PULUMI_K8S_VERSION" '.version = $v' "$src/schema.json" >schema-embed.json
  jq -c . "$src/terraform-mapping.json" >terraform-mapping-embed.json
  cp "$HERE/pulumi-resource-kubernetes.main.go.txt" main.go
  GOFLAGS="$WRAP_GOFLAGS" go get "$m/pkg/provider@$PULUMI_K8S_MODULE_VERSION" \
    "$m/pkg/version@$PULUMI_K8S_MODULE_VERSION"
  require_version "$m" "$PULUMI_K8S_MODULE_VERSION"
  GOFLAGS="$WRAP_GOFLAGS" nice go build -trimpath -o "$out/pulumi-resource-kubernetes" \
    -ldflags "-s -w -X $m/pkg/version.Version=$PULUMI_K8S_VERSION" .
}

build_pulumi-language-yaml() {
  local out="$1"
  GOBIN="$out" nice go install -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$PULUMI_YAML_VERSION" \
    "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$PULUMI_YAML_VERSION"
}

# ---- smoke tests: verify_<tool> <dir> --------------------------------------

expect() { # <what> <needle> <cmd...> : run cmd, require exit 0 and needle in output
  local what="$1" needle="$2" output
  shift 2
  output="$(timeout 60 "$@" 2>&1)" || die "$what: '$*' failed: $(tail -n 20 <<<"$output")"
  [[ "$output" == *"$needle"* ]] || die "$what: '$*' output lacks '$needle': $(tail -n 20 <<<"$output")"
  echo "  ok: $* -> $(head -n1 <<<"$output")"
}

# <binary> <module> <version>: the build info embedded in the binary must show
# the pinned module version (guards against `go get` silently upgrading).
expect_mod() {
  local line
  line="$(go version -m "$1" | awk -v m="$2" '($1 == "mod" || $1 == "dep") && $2 == m { print $3 }')"
  [[ "$line" == "$3" ]] || die "$1 was built from $2 ${line:-<absent>}, expected $3"
  echo "  ok: $(basename "$1") built from $2 $3"
}

verify_minio() {
  expect minio "minio version" "$1/minio" --version
  expect_mod "$1/minio" github.com/minio/minio "$MINIO_VERSION"
}
verify_rclone() {
  expect rclone "rclone $RCLONE_VERSION" "$1/rclone" version
  expect_mod "$1/rclone" github.com/rclone/rclone "$RCLONE_VERSION"
}
verify_kwok() {
  expect kwok "${KWOK_VERSION#v}" "$1/kwok" --version
  expect_mod "$1/kwok" sigs.k8s.io/kwok "$KWOK_VERSION"
}
verify_kube() {
  expect kube "$KUBE_VERSION" "$1/kube-apiserver" --version
  expect kube "$KUBE_VERSION" "$1/kube-controller-manager" --version
  expect_mod "$1/kube-apiserver" k8s.io/kubernetes "$KUBE_VERSION"
  expect_mod "$1/kube-controller-manager" k8s.io/kubernetes "$KUBE_VERSION"
}
verify_kubectl() {
  expect kubectl "$KUBE_VERSION" "$1/kubectl" version --client
  expect_mod "$1/kubectl" k8s.io/kubernetes "$KUBE_VERSION"
}
verify_pulumi() {
  expect pulumi "$PULUMI_VERSION" "$1/pulumi" version
  expect_mod "$1/pulumi" github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION"
  expect_mod "$1/pulumi" github.com/pulumi/pulumi/sdk/v3 "$PULUMI_VERSION"
}
verify_pulumi-resource-kubernetes() {
  expect_mod "$1/pulumi-resource-kubernetes" github.com/pulumi/pulumi-kubernetes/provider/v4 "$PULUMI_K8S_MODULE_VERSION"
  expect pulumi-resource-kubernetes "Usage" "$1/pulumi-resource-kubernetes" --help
  # (-trimpath keeps -ldflags out of the build info, so the -X value cannot be
  # read back; check the embedded schema's version instead.)
  grep -aqF "\"version\":\"$PULUMI_K8S_VERSION\"" "$1/pulumi-resource-kubernetes" \
    || die "pulumi-resource-kubernetes: embedded schema lacks version $PULUMI_K8S_VERSION"
  echo "  ok: embedded schema has version $PULUMI_K8S_VERSION"
}
verify_pulumi-language-yaml() {
  expect_mod "$1/pulumi-language-yaml" github.com/pulumi/pulumi-yaml "$PULUMI_YAML_VERSION"
  expect pulumi-language-yaml "Usage" "$1/pulumi-language-yaml" --help
}

# ---- build one tool atomically ---------------------------------------------

# age and age-keygen, statically linked (CGO off) as an encryption tool image must hold them: the
# jobs copy the binary from that image into their aws-cli and database images.
build_age() {
  GOBIN="$1" CGO_ENABLED=0 nice go install -trimpath "filippo.io/age/cmd/...@$AGE_VERSION"
}
verify_age() {
  "$1/age" --version >/dev/null
  "$1/age-keygen" --version >/dev/null
}

# promtool, which `promtool test rules` the alert rules with.
build_promtool() {
  GOBIN="$1" nice go install -trimpath "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION"
}
verify_promtool() {
  "$1/promtool" --version >/dev/null
}

# The PrometheusRule CRD, as the Prometheus Operator's module ships it (example/prometheus-operator-crd).
build_prometheus-crds() {
  local json dir
  json="$(mod_info "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
  dir="$(jq -r .Dir <<<"$json")"
  cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" "$1/"
  chmod u+w "$1/monitoring.coreos.com_prometheusrules.yaml"
}
verify_prometheus-crds() {
  grep -q '^    kind: PrometheusRule$' "$1/monitoring.coreos.com_prometheusrules.yaml"
}

TMP_DIRS=()
cleanup() {
  local d
  for d in "${TMP_DIRS[@]}"; do
    # the module cache marks files read-only; make sure we can delete them
    chmod -R u+w "$d" 2>/dev/null || true
    rm -rf "$d"
  done
}
trap cleanup EXIT

ensure_tool() {
  local tool="$1" dir key tmp start status
  dir="$(tool_dir "$tool")"
  key="$(tool_key "$tool")"
  tool_present "$tool" && return 0
  mkdir -p "$CACHE/bin" "$CACHE/tmp" "$CACHE/locks"
  # Serialise concurrent builds of the same tool (flock is optional).
  if command -v flock >/dev/null; then
    exec {lockfd}>"$CACHE/locks/$tool-$key.lock"
    if ! flock -n "$lockfd"; then
      echo "waiting for a concurrent build of $tool $key ..." >&2
      flock "$lockfd"
    fi
  fi
  if ! tool_present "$tool"; then
    # Leftovers of killed builds of this tool/version (we hold its lock).
    if [[ -n "${lockfd:-}" ]]; then
      chmod -R u+w "$CACHE/tmp/$tool-$key".* 2>/dev/null || true
      rm -rf "$CACHE/tmp/$tool-$key".*
    fi
    echo "building $tool $key ($(tool_estimate "$tool") on 2 cores, cached afterwards)" >&2
    start=$SECONDS
    tmp="$(mktemp -d "$CACHE/tmp/$tool-$key.XXXXXX")"
    TMP_DIRS+=("$tmp")
    mkdir "$tmp/out"
    # Build in a subshell (recipes cd into their wrapper module); all build
    # chatter goes to stderr so stdout stays machine-readable. The subshell
    # must not run in a conditional context (`( ... ) || die`), or bash would
    # ignore `set -e` inside it.
    set +e
    (
      set -e
      "build_$tool" "$tmp/out" "$tmp" >&2
      "verify_$tool" "$tmp/out" >&2
    )
    status=$?
    set -e
    [[ $status -eq 0 ]] || die "building $tool $key failed (partial work discarded)"
    # An incomplete leftover (e.g. a binary deleted by hand) is moved aside.
    [[ -e "$dir" ]] && mv -T "$dir" "$tmp/old"
    mv -T "$tmp/out" "$dir"
    rm -rf "$tmp"
    echo "built $tool $key in $((SECONDS - start))s -> $dir" >&2
  fi
  if [[ -n "${lockfd:-}" ]]; then
    exec {lockfd}>&-
    unset lockfd
  fi
}

# ---- main -----------------------------------------------------------------

main() {
  local print_only=false rc tool want arg requested
  if [[ "${1:-}" == "--print" ]]; then
    print_only=true
    shift
  fi
  [[ $# -gt 0 ]] || usage
  requested=()
  for arg in "$@"; do
    case "$arg" in
      all) requested+=("${TOOLS[@]}") ;;
      -h | --help) usage ;;
      *) tool_key "$arg" >/dev/null && requested+=("$arg") ;;
    esac
  done

  if $print_only; then
    rc=0
    for tool in "${requested[@]}"; do
      if tool_present "$tool"; then
        echo "$tool=$(tool_dir "$tool")"
      else
        echo "build.sh: $tool $(tool_key "$tool") is not built (run: $0 $tool)" >&2
        rc=1
      fi
    done
    return "$rc"
  fi

  command -v go >/dev/null || die "go not found in PATH"
  command -v jq >/dev/null || die "jq not found in PATH (apt-get install jq)"

  # Build in the canonical order regardless of argument order, without duplicates.
  for tool in "${TOOLS[@]}" "${BENCH_TOOLS[@]}" "${ALERT_TOOLS[@]}"; do
    for want in "${requested[@]}"; do
      if [[ "$want" == "$tool" ]]; then
        ensure_tool "$tool"
        echo "$tool=$(tool_dir "$tool")"
        break
      fi
    done
  done
}

# Exit explicitly: bash reads scripts lazily, so a build that is running while
# this file is edited never executes a half-read line.
main "$@"
exit
