#!/usr/bin/env bash
# Resolve a dev Apache Kafka broker (jars only) from Maven Central into .stack/kafka/lib.
# Idempotent: if the marker matches the current pom.xml it returns immediately.
#
# Env:
#   KAFKA_STACK_DIR   where lib/ data/ logs/ go (default <repo>/.stack/kafka)
#   KAFKA_MVN_ARGS    extra Maven args, e.g. "-o" or "-Dmaven.repo.local=/some/dir"
#   KAFKA_FORCE=1     re-resolve even if already provisioned
set -euo pipefail
# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

expected="$(kafka_expected_marker)" || kafka_die "cannot read $KAFKA_STACK_SRC/pom.xml"
if [[ "${KAFKA_FORCE:-0}" != 1 && -f "$KAFKA_MARKER" && "$(<"$KAFKA_MARKER")" == "$expected" ]]; then
  kafka_log "already provisioned ($KAFKA_LIB_DIR)"
  exit 0
fi

mkdir -p "$KAFKA_STACK_DIR"
# The folder is meant to be git-ignored; make it self-ignoring as a safety net.
[[ -f "$KAFKA_STACK_DIR/.gitignore" ]] || printf '*\n' > "$KAFKA_STACK_DIR/.gitignore"

# Serialise concurrent provisioners.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$KAFKA_STACK_DIR/.provision.lock"
  flock 9
  # Someone else may have finished while we waited.
  if [[ "${KAFKA_FORCE:-0}" != 1 && -f "$KAFKA_MARKER" && "$(<"$KAFKA_MARKER")" == "$expected" ]]; then
    kafka_log "already provisioned ($KAFKA_LIB_DIR)"
    exit 0
  fi
fi

command -v mvn >/dev/null 2>&1 || kafka_die "mvn (Apache Maven) not found on PATH; install it (apt-get install maven)"
java_bin="$(kafka_java)" || kafka_die "no java found (set KAFKA_JAVA or JAVA_HOME); Kafka 3.9 needs Java 11+ (17 recommended)"
java_major="$("$java_bin" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
java_major="${java_major#1.}"
[[ "$java_major" =~ ^[0-9]+$ ]] || kafka_die "cannot determine version of $java_bin"
(( java_major >= 11 )) || kafka_die "$java_bin is Java $java_major; Kafka 3.9 needs Java 11+ (17 recommended)"

kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_STACK_SRC/pom.xml")"
kafka_log "provisioning Apache Kafka $kafka_version (org.apache.kafka:kafka_2.13 + slf4j-reload4j) from Maven Central"
kafka_log "  pom:  $KAFKA_STACK_SRC/pom.xml"
kafka_log "  into: $KAFKA_LIB_DIR"
kafka_log "  java: $java_bin (Java $java_major), maven: $(command -v mvn)"

tmp_lib="$KAFKA_STACK_DIR/lib.tmp.$$"
mvn_log="$KAFKA_STACK_DIR/provision-mvn.log"
rm -rf "$tmp_lib"
trap 'rm -rf "$tmp_lib"' EXIT

start=$SECONDS
kafka_log "running: mvn dependency:copy-dependencies (log: $mvn_log)"
# shellcheck disable=SC2086
if ! mvn -B -ntp -Dstyle.color=never -f "$KAFKA_STACK_SRC/pom.xml" \
      -DstackDir="$KAFKA_STACK_DIR" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -DincludeScope=runtime \
      -DoutputDirectory="$tmp_lib" \
      ${KAFKA_MVN_ARGS:-} >"$mvn_log" 2>&1; then
  tail -n 30 "$mvn_log" >&2 || true
  kafka_die "Maven could not resolve the Kafka jars (full log: $mvn_log). Is Maven Central reachable?"
fi

# Sanity check: the classes run.sh needs must be there.
shopt -s nullglob
core=("$tmp_lib"/kafka_2.13-*.jar)
clients=("$tmp_lib"/kafka-clients-*.jar)
binding=("$tmp_lib"/slf4j-reload4j-*.jar)
shopt -u nullglob
(( ${#core[@]} == 1 && ${#clients[@]} == 1 && ${#binding[@]} == 1 )) \
  || kafka_die "resolved jars look incomplete in $tmp_lib (see $mvn_log)"

rm -rf "$KAFKA_LIB_DIR"
mv "$tmp_lib" "$KAFKA_LIB_DIR"
rm -rf "$KAFKA_STACK_DIR/mvn-target"
printf '%s' "$expected" > "$KAFKA_MARKER"
trap - EXIT

n_jars=$(find "$KAFKA_LIB_DIR" -maxdepth 1 -name '*.jar' | wc -l)
size=$(du -sh "$KAFKA_LIB_DIR" | cut -f1)
kafka_log "done: $n_jars jars ($size) in $KAFKA_LIB_DIR in $((SECONDS - start))s"
