#!/usr/bin/env bash
# Run the local single-node OpenSearch 3.5.0 (+ k-NN) in the FOREGROUND (exec java).
# Provisions first if needed (returns at once when already provisioned).
#
# Env:
#   OPENSEARCH_PORT       HTTP port (default 9200); transport uses OPENSEARCH_PORT+100
#   OPENSEARCH_DATA_DIR   data directory (default <repo>/.stack/opensearch/data)
#   OPENSEARCH_HEAP       -Xms/-Xmx (default 1g)
#   OPENSEARCH_LOGS_DIR   log directory (default <repo>/.stack/opensearch/logs)
#   OPENSEARCH_CLUSTER_NAME (default stack-opensearch), OPENSEARCH_NODE_NAME (default node-1)
#   OPENSEARCH_JAVA_HOME  JDK to use (else the newest JDK >= 21 in JAVA_HOME or /usr/lib/jvm;
#                         OpenSearch 3.x needs 21+)
#   OPENSEARCH_JAVA_OPTS  extra JVM flags (appended)
#
# Ready when: GET http://127.0.0.1:$OPENSEARCH_PORT/_cluster/health answers status green/yellow
# (the log also prints "[Launcher] ... launcher: node started").
# Stop with SIGTERM/SIGINT: the node closes gracefully (JVM exit status 143/130, as with stock OpenSearch).
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/../../.." && pwd -P)"
STACK_DIR="${OPENSEARCH_STACK_DIR:-$REPO_ROOT/.stack/opensearch}"
export OPENSEARCH_STACK_DIR="$STACK_DIR"

die() { printf '[opensearch:run] ERROR: %s\n' "$*" >&2; exit 1; }

PORT="${OPENSEARCH_PORT:-9200}"
[[ "$PORT" =~ ^[0-9]+$ && "$PORT" -ge 1 && "$PORT" -le 65435 ]] || die "OPENSEARCH_PORT must be a port number <= 65435 (got '$PORT')"
TRANSPORT_PORT=$((PORT + 100))
HEAP="${OPENSEARCH_HEAP:-1g}"
[[ "$HEAP" =~ ^([0-9]+)([mMgG])$ ]] || die "OPENSEARCH_HEAP must look like 512m or 1g (got '$HEAP')"
# direct memory = half the heap, as the stock distribution's JVM ergonomics do
HEAP_NUM="${BASH_REMATCH[1]}"
case "${BASH_REMATCH[2]}" in g|G) DIRECT_MB=$((HEAP_NUM * 512)) ;; *) DIRECT_MB=$((HEAP_NUM / 2)) ;; esac
(( DIRECT_MB >= 64 )) || DIRECT_MB=64
DATA_DIR="$(realpath -m -- "${OPENSEARCH_DATA_DIR:-$STACK_DIR/data}")"
LOGS_DIR="$(realpath -m -- "${OPENSEARCH_LOGS_DIR:-$STACK_DIR/logs}")"

"$SCRIPT_DIR/provision.sh"

java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -nE 's/^ *java\.specification\.version = ([0-9]+).*/\1/p'; }

# Which JDK: OPENSEARCH_JAVA_HOME when set; else the newest JDK >= 21 found (JAVA_HOME, then
# /usr/lib/jvm). OpenSearch 3.x needs Java 21+; Lucene 10.3 scores vectors with the JDK's
# incubating vector API (SIMD) on 21 and later, given --add-modules=jdk.incubator.vector.
JAVA=""
JAVA_CHOICE=""
if [[ -n "${OPENSEARCH_JAVA_HOME:-}" ]]; then
  JAVA="$OPENSEARCH_JAVA_HOME/bin/java"; JAVA_CHOICE="OPENSEARCH_JAVA_HOME"
else
  best=0
  for home in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [[ -n "$home" && -x "$home/bin/java" ]] || continue
    major="$(java_major "$home/bin/java")"
    if [[ "$major" =~ ^[0-9]+$ ]] && (( major >= 21 && major > best )); then best="$major"; JAVA="$home/bin/java"; fi
  done
  JAVA_CHOICE="newest JDK >= 21 in JAVA_HOME or /usr/lib/jvm"
fi
[[ -n "$JAVA" && -x "$JAVA" ]] || die "no java >= 21 found (OpenSearch 3.x needs Java 21+; set OPENSEARCH_JAVA_HOME)"
JAVA_MAJOR="$(java_major "$JAVA")"
[[ "$JAVA_MAJOR" =~ ^[0-9]+$ && "$JAVA_MAJOR" -ge 21 ]] || die "java >= 21 required ($JAVA reports '${JAVA_MAJOR:-?}')"

mkdir -p "$DATA_DIR" "$LOGS_DIR" "$STACK_DIR/tmp"

JVM_OPTS=(
  "-Xms$HEAP" "-Xmx$HEAP" "-XX:MaxDirectMemorySize=${DIRECT_MB}m" -Xss1m
  -XX:+UseG1GC -XX:G1ReservePercent=25 -XX:InitiatingHeapOccupancyPercent=30
  -XX:+ExitOnOutOfMemoryError -XX:-OmitStackTraceInFastThrow
  "-XX:ErrorFile=$LOGS_DIR/hs_err_pid%p.log"
  "-Xlog:gc*,gc+age=trace,safepoint:file=$LOGS_DIR/gc.log:utctime,pid,tags:filecount=4,filesize=16m"
  -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djna.nosys=true
  -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0
  -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true
  "-Djava.io.tmpdir=$STACK_DIR/tmp"
  "-Dopensearch.path.home=$STACK_DIR" "-Dopensearch.path.conf=$SCRIPT_DIR/config"
)
# as in the stock 3.x jvm.options: CLDR locale data (COMPAT is gone in JDK 23+), and the Panama
# vector module that Lucene uses to speed up vector (k-NN lucene engine) scoring.
# Not used: the stock -javaagent (opensearch-agent, 3.x's replacement for the security manager).
# --enable-native-access: Lucene 10 calls madvise through java.lang.foreign (JDK 22+ warns otherwise).
JVM_OPTS+=("-Djava.locale.providers=SPI,CLDR" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
# shellcheck disable=SC2206
EXTRA_OPTS=(${OPENSEARCH_JAVA_OPTS:-})

SETTINGS=(
  "-Ecluster.name=${OPENSEARCH_CLUSTER_NAME:-stack-opensearch}"
  "-Enode.name=${OPENSEARCH_NODE_NAME:-node-1}"
  "-Epath.data=$DATA_DIR"
  "-Epath.logs=$LOGS_DIR"
  -Enetwork.host=127.0.0.1
  "-Ehttp.port=$PORT"
  "-Etransport.port=$TRANSPORT_PORT"
  -Ediscovery.type=single-node
  # never flip indices to read-only because the disk is full-ish
  -Ecluster.routing.allocation.disk.threshold_enabled=false
  # single node: no replicas, so new indices are green (only honoured as a persistent cluster
  # setting, hence -P: the launcher applies it right after start)
  -Pcluster.default_number_of_replicas=0
  -Ebootstrap.memory_lock=false
)

printf '[opensearch:run] OpenSearch 3.5.0 on http://127.0.0.1:%s (transport %s), data %s, heap %s, java %s at %s (%s)\n' \
  "$PORT" "$TRANSPORT_PORT" "$DATA_DIR" "$HEAP" "$JAVA_MAJOR" "$JAVA" "$JAVA_CHOICE"
exec "$JAVA" "${JVM_OPTS[@]}" ${EXTRA_OPTS[@]+"${EXTRA_OPTS[@]}"} \
  -cp "$STACK_DIR/launcher:$STACK_DIR/lib/*" Launcher "${SETTINGS[@]}"
