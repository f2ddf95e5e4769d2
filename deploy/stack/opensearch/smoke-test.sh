#!/usr/bin/env bash
# Smoke test against a RUNNING node (start it with run.sh first).
# Waits for health, then checks: plugins/modules, k-NN (lucene engine) index + search,
# english analyzer, aliases, _reindex, painless. Cleans up its indices. Exit 0 = all good.
# Env: OPENSEARCH_PORT (default 9200), OPENSEARCH_WAIT_SECONDS (default 120).
set -euo pipefail

BASE="http://127.0.0.1:${OPENSEARCH_PORT:-9200}"
WAIT="${OPENSEARCH_WAIT_SECONDS:-120}"
PASS=0
FAIL=0

req() { # method path [json-body]
  if [[ $# -ge 3 ]]; then
    curl -sS -m 30 -X "$1" -H 'Content-Type: application/json' "$BASE$2" -d "$3"
  else
    curl -sS -m 30 -X "$1" "$BASE$2"
  fi
}
check() { # name expected-substring actual
  if [[ "$3" == *"$2"* ]]; then PASS=$((PASS + 1)); printf 'ok   %s\n' "$1"
  else FAIL=$((FAIL + 1)); printf 'FAIL %s: expected [%s] in: %s\n' "$1" "$2" "${3:0:500}"; fi
}

deadline=$((SECONDS + WAIT))
until health="$(curl -s -m 5 "$BASE/_cluster/health?wait_for_status=yellow&timeout=5s" 2>/dev/null)" \
      && [[ "$health" == *'"status":"green"'* || "$health" == *'"status":"yellow"'* ]]; do
  (( SECONDS < deadline )) || { echo "node at $BASE not healthy after ${WAIT}s"; exit 1; }
  sleep 1
done
check "cluster health" '"status"' "$health"

IDX=smoke-knn
req DELETE "/$IDX,$IDX-copy" >/dev/null 2>&1 || true

check "_cat/plugins lists knn" "opensearch-knn" "$(req GET '/_cat/plugins?h=component')"
mods="$(req GET '/_nodes/plugins?filter_path=nodes.*.modules.name')"
for m in transport-netty4 lang-painless analysis-common mapper-extras reindex aggs-matrix-stats parent-join; do
  check "module $m" "\"$m\"" "$mods"
done

check "create knn index" '"acknowledged":true' "$(req PUT "/$IDX" '{
  "settings": {"index": {"knn": true}},
  "mappings": {"properties": {
    "vec": {"type": "knn_vector", "dimension": 3,
            "method": {"name": "hnsw", "engine": "lucene", "space_type": "l2"}},
    "title": {"type": "text", "analyzer": "english"}}}}')"
req PUT "/$IDX/_doc/a" '{"vec":[1,0,0],"title":"running dogs"}' >/dev/null
req PUT "/$IDX/_doc/b" '{"vec":[0,1,0],"title":"quick cats"}' >/dev/null
check "index docs" '"result":"created"' "$(req PUT "/$IDX/_doc/c?refresh=true" '{"vec":[0,0,1],"title":"slow birds"}')"
knn="$(req POST "/$IDX/_search" '{"size":1,"query":{"knn":{"vec":{"vector":[0.1,0.9,0.1],"k":1}}}}')"
check "knn search returns nearest (b)" '"hits":[{"_index":"smoke-knn","_id":"b"' "$knn"

check "english analyzer stems" '"token":"run"' \
  "$(req POST /_analyze '{"analyzer":"english","text":"running quickly"}')"
check "english match query" '"_id":"a"' \
  "$(req POST "/$IDX/_search" '{"query":{"match":{"title":"run"}}}')"

check "add alias" '"acknowledged":true' \
  "$(req POST /_aliases "{\"actions\":[{\"add\":{\"index\":\"$IDX\",\"alias\":\"$IDX-alias\"}}]}")"
check "search via alias" '"value":3' "$(req GET "/$IDX-alias/_search?size=0")"
check "_reindex" '"created":3' \
  "$(req POST '/_reindex?refresh=true' "{\"source\":{\"index\":\"$IDX-alias\"},\"dest\":{\"index\":\"$IDX-copy\"}}")"
check "painless + k-NN painless extension" '"_id":"c"' \
  "$(req POST "/$IDX/_search" '{"size":1,"query":{"script_score":{"query":{"match_all":{}},
      "script":{"source":"1 / (1 + l2Squared(params.q, doc[\"vec\"]))","params":{"q":[0,0,0.9]}}}}}')"

req DELETE "/$IDX,$IDX-copy" >/dev/null
echo "smoke: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
