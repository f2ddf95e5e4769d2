# shellcheck shell=bash disable=SC2034
# Shared paths/helpers for the dev Kafka scripts. Sourced, not executed.
# Everything is resolved relative to this file, so the scripts work from any cwd.

KAFKA_STACK_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# repo root = deploy/stack/kafka/../../..
KAFKA_REPO_ROOT="$(cd "$KAFKA_STACK_SRC/../../.." && pwd)"
# Where jars, data and logs live (git-ignored). Override with KAFKA_STACK_DIR.
KAFKA_STACK_DIR="${KAFKA_STACK_DIR:-$KAFKA_REPO_ROOT/.stack/kafka}"
KAFKA_LIB_DIR="$KAFKA_STACK_DIR/lib"
KAFKA_MARKER="$KAFKA_LIB_DIR/.provisioned"

kafka_log() { printf '[kafka-stack] %s\n' "$*"; }
kafka_die() { printf '[kafka-stack] ERROR: %s\n' "$*" >&2; exit 1; }

# Marker content: identifies exactly what was resolved (pom hash). If the pom
# changes, provision.sh re-resolves.
kafka_expected_marker() {
  local sum
  sum="$(sha256sum "$KAFKA_STACK_SRC/pom.xml")" || return 1
  printf 'pom-sha256=%s\n' "${sum%% *}"
}

# Pick the JVM: $KAFKA_JAVA, else $JAVA_HOME/bin/java, else java on PATH.
kafka_java() {
  if [[ -n "${KAFKA_JAVA:-}" ]]; then
    printf '%s' "$KAFKA_JAVA"
  elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    printf '%s' "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    return 1
  fi
}
