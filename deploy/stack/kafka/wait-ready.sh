#!/usr/bin/env bash
# Wait until the dev Kafka broker answers the Kafka protocol on 127.0.0.1:$KAFKA_PORT.
# Two stages, polled every 100 ms until KAFKA_READY_TIMEOUT seconds (default 60):
#   1. TCP connect to the client listener succeeds;
#   2. a raw ApiVersions v0 request (what every client sends first, kafkajs included)
#      gets a response with the right correlation id and error_code 0.
# Pure bash (/dev/tcp + od); no JVM, no node. Exit 0 when ready, 1 on timeout.
# Optional KAFKA_WAIT_PID=<pid of run.sh/java>: fail fast if that process dies first.
set -euo pipefail
# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

host=127.0.0.1
port="${KAFKA_PORT:-9092}"
timeout_s="${KAFKA_READY_TIMEOUT:-60}"

# size=15 | api_key=18 (ApiVersions) | api_version=0 | correlation_id=0x4b524459 | client_id="ready"
req='\x00\x00\x00\x0f\x00\x12\x00\x00\x4b\x52\x44\x59\x00\x05ready'

api_versions_ok() {
  local out
  # shellcheck disable=SC2016 # positional args expand in the inner shell
  out="$(timeout 2 bash -c '
      exec 3<>"/dev/tcp/$0/$1" || exit 1
      printf "$2" >&3
      head -c 10 <&3 | od -An -tx1 | tr -d " \n"
    ' "$host" "$port" "$req" 2>/dev/null)" || return 1
  # 4 bytes size, then correlation id 4b524459, then error_code 0000
  [[ "${out:8:12}" == "4b5244590000" ]]
}

start=$(date +%s%N)
deadline=$(( start + timeout_s * 1000000000 ))
tcp_ms=""
while :; do
  now=$(date +%s%N)
  if [[ -z "$tcp_ms" ]] && (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
    tcp_ms=$(( (now - start) / 1000000 ))
  fi
  if [[ -n "$tcp_ms" ]] && api_versions_ok; then
    kafka_log "ready: $host:$port answers ApiVersions (tcp open after ${tcp_ms} ms, protocol ok after $(( ($(date +%s%N) - start) / 1000000 )) ms)"
    exit 0
  fi
  if [[ -n "${KAFKA_WAIT_PID:-}" ]] && ! kill -0 "$KAFKA_WAIT_PID" 2>/dev/null; then
    kafka_log "broker process $KAFKA_WAIT_PID exited before becoming ready; see ${KAFKA_LOGS_DIR:-$KAFKA_STACK_DIR/logs}/server.log" >&2
    exit 1
  fi
  if (( now > deadline )); then
    kafka_log "NOT ready after ${timeout_s}s: $host:$port (tcp: ${tcp_ms:-never}); see ${KAFKA_LOGS_DIR:-$KAFKA_STACK_DIR/logs}/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
