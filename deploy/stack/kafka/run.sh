#!/usr/bin/env bash
# Run the dev Kafka broker (KRaft, combined broker+controller) in the FOREGROUND.
#   - provisions the jars first if needed (provision.sh; instant when already done)
#   - formats the storage once (new random cluster id) if the data dir is not formatted
#   - writes server.properties from env, then `exec java ... kafka.Kafka server.properties`
# Stop it with SIGTERM/SIGINT (clean shutdown). Readiness: see wait-ready.sh.
#
# Env (defaults):
#   KAFKA_PORT=9092             client listener, 127.0.0.1 only (advertised 127.0.0.1:$KAFKA_PORT)
#   KAFKA_CONTROLLER_PORT=9093  KRaft controller listener, 127.0.0.1 only
#   KAFKA_HEAP=512m             -Xms/-Xmx
#   KAFKA_DATA_DIR=<repo>/.stack/kafka/data   (log segments + metadata + generated server.properties)
#   KAFKA_LOGS_DIR=<repo>/.stack/kafka/logs   (log4j: server.log, controller.log, ..., gc log)
#   KAFKA_JVM_OPTS=             extra JVM options appended last
#   KAFKA_JAVA / JAVA_HOME      JVM to use (default: java on PATH; Java 17 tested)
set -euo pipefail
# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

KAFKA_HOST=127.0.0.1
KAFKA_NODE_ID=1
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$KAFKA_STACK_DIR/data}"
KAFKA_LOGS_DIR="${KAFKA_LOGS_DIR:-$KAFKA_STACK_DIR/logs}"

for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
  if ! [[ "$p" =~ ^[0-9]+$ ]] || (( p < 1 || p > 65535 )); then kafka_die "invalid port: '$p'"; fi
done
[[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ]] || kafka_die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"
[[ "$KAFKA_HEAP" =~ ^[0-9]+[kKmMgG]?$ ]] || kafka_die "invalid KAFKA_HEAP: '$KAFKA_HEAP' (e.g. 512m, 1g)"

"$KAFKA_STACK_SRC/provision.sh" >&2 || kafka_die "provisioning failed"
java_bin="$(kafka_java)" || kafka_die "no java found (set KAFKA_JAVA or JAVA_HOME)"

# Refuse to start if something already listens on our ports (e.g. a broker still running).
for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
  if (exec 3<>"/dev/tcp/$KAFKA_HOST/$p") 2>/dev/null; then
    kafka_die "port $KAFKA_HOST:$p is already in use (another Kafka still running?)"
  fi
done

mkdir -p "$KAFKA_DATA_DIR" "$KAFKA_LOGS_DIR"
KAFKA_DATA_DIR="$(cd "$KAFKA_DATA_DIR" && pwd)"
KAFKA_LOGS_DIR="$(cd "$KAFKA_LOGS_DIR" && pwd)"
log_dirs="$KAFKA_DATA_DIR/kraft-combined-logs"
props="$KAFKA_DATA_DIR/server.properties"

# ---- server.properties from the template ----
tpl="$(<"$KAFKA_STACK_SRC/server.properties.template")"
tpl="${tpl//@@NODE_ID@@/$KAFKA_NODE_ID}"
tpl="${tpl//@@QUORUM_VOTERS@@/$KAFKA_NODE_ID@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT}"
tpl="${tpl//@@HOST@@/$KAFKA_HOST}"
tpl="${tpl//@@CONTROLLER_PORT@@/$KAFKA_CONTROLLER_PORT}"
tpl="${tpl//@@PORT@@/$KAFKA_PORT}"
tpl="${tpl//@@LOG_DIRS@@/$log_dirs}"
[[ "$tpl" != *@@* ]] || kafka_die "unreplaced placeholder in server.properties.template"
printf '%s\n' "$tpl" > "$props.tmp"
mv "$props.tmp" "$props"

log4j_opts=(
  "-Dlog4j.configuration=file:$KAFKA_STACK_SRC/log4j.properties"
  "-Dkafka.logs.dir=$KAFKA_LOGS_DIR"
)

# ---- format storage once ----
if [[ ! -f "$log_dirs/meta.properties" ]]; then
  # Kafka cluster id = 16 random bytes, URL-safe base64 without padding (22 chars),
  # like `kafka-storage.sh random-uuid`; avoid a leading '-' (Kafka does the same).
  cluster_id=""
  while [[ -z "$cluster_id" || "$cluster_id" == -* ]]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  kafka_log "formatting $log_dirs (cluster id $cluster_id)"
  "$java_bin" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "${log4j_opts[@]}" \
    -cp "$KAFKA_LIB_DIR/*" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$props" --ignore-formatted \
    || kafka_die "kafka-storage format failed (see $KAFKA_LOGS_DIR/server.log)"
fi

jvm_opts=(
  "-Xms$KAFKA_HEAP" "-Xmx$KAFKA_HEAP"
  -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
  -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15
  -XX:+ExitOnOutOfMemoryError
  "-Xlog:gc*:file=$KAFKA_LOGS_DIR/kafkaServer-gc.log:time,tags:filecount=5,filesize=10M"
  -Djava.awt.headless=true
  "${log4j_opts[@]}"
)
if [[ -n "${KAFKA_JVM_OPTS:-}" ]]; then
  # shellcheck disable=SC2206
  jvm_opts+=(${KAFKA_JVM_OPTS})
fi

kafka_log "starting Kafka (KRaft broker+controller) pid $$ on $KAFKA_HOST:$KAFKA_PORT (controller $KAFKA_HOST:$KAFKA_CONTROLLER_PORT), heap $KAFKA_HEAP"
kafka_log "  data: $KAFKA_DATA_DIR   logs: $KAFKA_LOGS_DIR/server.log"
exec "$java_bin" "${jvm_opts[@]}" -cp "$KAFKA_LIB_DIR/*" kafka.Kafka "$props"
