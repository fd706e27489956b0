#!/usr/bin/env bash
# Runs `docker compose --profile monitoring` for real on a machine without
# registry access, through a compose harness (build, up, health, smoke, down;
# path given as the argument): the app and PostgreSQL as usual, Prometheus on its local stand-in image (Debian's
# Prometheus 2.42, tagged with the pinned official name), and instead of
# Grafana - which has no stand-in - test/compose/grafana-stand-in, which
# validates the same provisioning mounts and runs every dashboard query
# against the compose Prometheus. Not part of CI (it needs a Docker engine).
#   test/compose/check-monitoring.sh [path/to/compose-check]
set -euo pipefail
cd "$(dirname "$0")/../.."
COMPOSE_CHECK="${1:-../shared/tools/compose-check}"

image() { sed -n "s|^ *image: *\($1:[^ ]*\).*|\1|p" docker-compose.yml; }
PROMETHEUS_IMAGE="$(image prom/prometheus)"
GRAFANA_IMAGE="$(image grafana/grafana)"

# compose-check installs the engine and the base stand-ins on its first run.
docker info >/dev/null 2>&1 || SMOKE_CMD=true "$COMPOSE_CHECK" >/dev/null
docker image inspect "$PROMETHEUS_IMAGE" >/dev/null 2>&1 || docker tag prom/prometheus:latest "$PROMETHEUS_IMAGE"
docker build -q -t "$GRAFANA_IMAGE" test/compose/grafana-stand-in

export COMPOSE_PROFILES=monitoring SMOKE_TIMEOUT="${SMOKE_TIMEOUT:-300}"
export SMOKE_CMD='set -e
for i in $(seq 1 60); do curl -fsS "$BASE_URL/readyz" >/dev/null 2>&1 && break; sleep 2; done
curl -fsS -X PUT -H "Content-Type: application/json" -d "{\"compose-check\": 1}" "$BASE_URL/keys?expire_in=30" >/dev/null
curl -fsS "$BASE_URL/keys/compose-check" >/dev/null
curl -fsS "$BASE_URL/keys/missing" -o /dev/null || true
echo "waiting for Prometheus to scrape the app (up == 1)"
for i in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:9090/api/v1/query?query=up%7Bjob%3D%22kv%22%7D" | grep -q "\"1\"\]" && break; sleep 3
done
curl -fsS "http://127.0.0.1:9090/api/v1/query?query=up%7Bjob%3D%22kv%22%7D" | tee /dev/stderr | grep -q "\"1\"\]"
echo "waiting for Prometheus to evaluate every alert rule healthy"
expected=$(grep -c "^ *- alert:" deploy/prometheus/alerts.yml)
for i in $(seq 1 30); do
  healthy=$(curl -fsS "http://127.0.0.1:9090/api/v1/rules?type=alert" | grep -o "\"health\":\"ok\"" | wc -l)
  test "$healthy" -eq "$expected" && break; sleep 2
done
echo "$healthy of $expected alert rules healthy"; test "$healthy" -eq "$expected"
echo "waiting for the Grafana stand-in to run every dashboard query"
for i in $(seq 1 90); do curl -fsS http://127.0.0.1:3000/api/health >/dev/null 2>&1 && break; sleep 3; done
curl -fsS http://127.0.0.1:3000/api/health; echo'
exec "$COMPOSE_CHECK"
