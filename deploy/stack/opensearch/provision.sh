#!/usr/bin/env bash
# Provision a local single-node OpenSearch 3.5.0 (+ core modules + k-NN plugin) from Maven Central.
#
# Idempotent: once provisioned, a marker (fingerprint of the inputs) makes it return at once.
# Output layout (distribution-like), all under <repo>/.stack/opensearch (git-ignored):
#   lib/        server + its dependencies (JVM classpath)
#   modules/    transport-netty4, lang-painless, analysis-common, mapper-extras, reindex,
#               aggs-matrix-stats, parent-join (one bundle each, descriptor written here)
#   plugins/    opensearch-knn (published zip, unpacked; its descriptor's transport-grpc
#               extension is marked optional, see step 3)
#   launcher/   compiled Launcher.class
#   data/ logs/ tmp/  runtime state (kept across re-provisioning)
#
# Env: OPENSEARCH_STACK_DIR (default <repo>/.stack/opensearch), OPENSEARCH_MVN_ARGS (extra mvn args),
#      OPENSEARCH_FORCE_PROVISION=1 (ignore the marker),
#      OPENSEARCH_JAVA_HOME (JDK >= 21 whose javac compiles the launcher; else a JDK >= 21 in
#      JAVA_HOME or /usr/lib/jvm, newest first).
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/../../.." && pwd -P)"
STACK_DIR="${OPENSEARCH_STACK_DIR:-$REPO_ROOT/.stack/opensearch}"
MARKER="$STACK_DIR/.provisioned"

OPENSEARCH_VERSION=3.5.0
KNN_VERSION=3.5.0.0

log() { printf '[opensearch:provision] %s\n' "$*"; }
die() { printf '[opensearch:provision] ERROR: %s\n' "$*" >&2; exit 1; }

# Fingerprint of everything that determines the result; a change triggers re-provisioning.
fingerprint() {
  cat "$SCRIPT_DIR/pom.xml" "$SCRIPT_DIR/Launcher.java" "$SCRIPT_DIR/provision.sh" | sha256sum | cut -d' ' -f1
}

FP="$(fingerprint)"
if [[ "${OPENSEARCH_FORCE_PROVISION:-0}" != 1 && -f "$MARKER" && "$(cat "$MARKER")" == "$FP" ]]; then
  log "already provisioned ($STACK_DIR)"
  exit 0
fi

for tool in mvn sha256sum flock unzip; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found on PATH"
done
# OpenSearch 3.x jars are Java 21 class files: the launcher needs javac >= 21 (mvn itself may run on 17).
javac_major() { "$1" -version 2>&1 | sed -nE 's/^javac ([0-9]+).*/\1/p'; }
JAVAC=""
if [[ -n "${OPENSEARCH_JAVA_HOME:-}" ]]; then
  JAVAC="$OPENSEARCH_JAVA_HOME/bin/javac"
else
  best=0
  for home in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [[ -n "$home" && -x "$home/bin/javac" ]] || continue
    major="$(javac_major "$home/bin/javac")"
    if [[ "$major" =~ ^[0-9]+$ ]] && (( major >= 21 && major > best )); then best="$major"; JAVAC="$home/bin/javac"; fi
  done
fi
[[ -n "$JAVAC" && -x "$JAVAC" ]] || die "no javac >= 21 found (OpenSearch 3.x needs Java 21+; set OPENSEARCH_JAVA_HOME)"
JAVA_MAJOR="$(javac_major "$JAVAC")"
[[ "$JAVA_MAJOR" =~ ^[0-9]+$ && "$JAVA_MAJOR" -ge 21 ]] || die "javac >= 21 required (found: $("$JAVAC" -version 2>&1))"

mkdir -p "$STACK_DIR"
# Serialize concurrent provisioning (e.g. two services starting at once).
exec 9>"$STACK_DIR/.provision.lock"
flock 9
if [[ "${OPENSEARCH_FORCE_PROVISION:-0}" != 1 && -f "$MARKER" && "$(cat "$MARKER")" == "$FP" ]]; then
  log "already provisioned by a concurrent run"
  exit 0
fi

START=$SECONDS
rm -f "$MARKER"
log "provisioning OpenSearch $OPENSEARCH_VERSION + k-NN $KNN_VERSION into $STACK_DIR"
log "clearing previous artifacts (lib/ modules/ plugins/ launcher/; data/ and logs/ are kept)"
rm -rf "${STACK_DIR:?}/lib" "${STACK_DIR:?}/modules" "${STACK_DIR:?}/plugins" "${STACK_DIR:?}/launcher" "${STACK_DIR:?}/maven-target"

log "step 1/4: resolving artifacts from Maven Central (mvn package on $SCRIPT_DIR/pom.xml)"
# shellcheck disable=SC2086
if ! mvn -B -Dstyle.color=never -f "$SCRIPT_DIR/pom.xml" -Dstack.dir="$STACK_DIR" ${OPENSEARCH_MVN_ARGS:-} package; then
  die "Maven could not resolve the OpenSearch artifacts (is Maven Central reachable? see output above)"
fi
rm -rf "$STACK_DIR/maven-target"

log "step 2/4: writing module descriptors"
# name | plugin class | extended.plugins   (3.0 renamed the module classes to *ModulePlugin)
MODULES=(
  "transport-netty4|org.opensearch.transport.Netty4ModulePlugin|"
  "lang-painless|org.opensearch.painless.PainlessModulePlugin|"
  "analysis-common|org.opensearch.analysis.common.CommonAnalysisModulePlugin|lang-painless"
  "mapper-extras|org.opensearch.index.mapper.MapperExtrasModulePlugin|"
  "reindex|org.opensearch.index.reindex.ReindexModulePlugin|"
  "aggs-matrix-stats|org.opensearch.search.aggregations.matrix.MatrixAggregationModulePlugin|"
  "parent-join|org.opensearch.join.ParentJoinModulePlugin|"
)
for entry in "${MODULES[@]}"; do
  IFS='|' read -r name classname extended <<<"$entry"
  dir="$STACK_DIR/modules/$name"
  [[ -d "$dir" ]] || die "module directory missing after Maven: $dir"
  class_file="${classname//.//}.class"
  found=""
  for jar in "$dir"/*.jar; do
    if unzip -l "$jar" "$class_file" >/dev/null 2>&1; then found="$jar"; break; fi
  done
  [[ -n "$found" ]] || die "plugin class $classname not found in $dir"
  cat >"$dir/plugin-descriptor.properties" <<EOF
# written by deploy/stack/opensearch/provision.sh
description=OpenSearch module $name (assembled from Maven Central artifacts)
version=$OPENSEARCH_VERSION
name=$name
classname=$classname
java.version=21
opensearch.version=$OPENSEARCH_VERSION
extended.plugins=$extended
has.native.controller=false
EOF
  jars=("$dir"/*.jar)
  log "  module $name: ${#jars[@]} jar(s), class $classname"
done

log "step 3/4: checking the k-NN plugin bundle"
KNN_DESC="$STACK_DIR/plugins/opensearch-knn/plugin-descriptor.properties"
[[ -f "$KNN_DESC" ]] || die "k-NN plugin descriptor missing: $KNN_DESC"
grep -qx "opensearch.version=$OPENSEARCH_VERSION" "$KNN_DESC" \
  || die "k-NN plugin targets $(grep '^opensearch.version=' "$KNN_DESC"), server is $OPENSEARCH_VERSION"
[[ -f "$STACK_DIR/lib/opensearch-$OPENSEARCH_VERSION.jar" ]] || die "server jar missing in $STACK_DIR/lib"
# k-NN 3.x declares extended.plugins=lang-painless,transport-grpc. transport-grpc (the gRPC transport
# module of the 3.x distribution) is not published on Maven Central, and a missing non-optional
# extended plugin aborts startup ("Missing plugin [transport-grpc], dependency of [opensearch-knn]").
# k-NN only uses it for its gRPC query converter (a ServiceLoader extension), so mark it optional.
if grep -qE '^extended\.plugins=.*transport-grpc(,|$)' "$KNN_DESC"; then
  sed -i -E 's/^(extended\.plugins=.*)transport-grpc(,|$)/\1transport-grpc;optional=true\2/' "$KNN_DESC"
  log "  k-NN: marked extended plugin transport-grpc optional ($(grep '^extended.plugins=' "$KNN_DESC"))"
fi

log "step 4/4: compiling the launcher (javac $JAVA_MAJOR)"
mkdir -p "$STACK_DIR/launcher"
"$JAVAC" --release 21 -nowarn -d "$STACK_DIR/launcher" -cp "$STACK_DIR/lib/*" "$SCRIPT_DIR/Launcher.java" \
  || die "javac failed on $SCRIPT_DIR/Launcher.java"

mkdir -p "$STACK_DIR/data" "$STACK_DIR/logs" "$STACK_DIR/tmp"
printf '%s\n' "$FP" >"$MARKER.tmp" && mv "$MARKER.tmp" "$MARKER"
libs=("$STACK_DIR"/lib/*.jar)
log "done in $((SECONDS - START))s: ${#libs[@]} lib jars, ${#MODULES[@]} modules, plugin opensearch-knn ($(du -sh "$STACK_DIR" | cut -f1) on disk)"
