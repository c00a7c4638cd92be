#!/usr/bin/env bash
# Bring up everything Fleetwise needs locally: PostgreSQL, Mosquitto, Kafka.
# Idempotent: services already running are left as they are.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

"$HERE/postgres.sh"
"$HERE/mosquitto.sh"
"$HERE/kafka.sh" start
echo "up: postgres://postgres@127.0.0.1:5432/${PGDATABASE_NAME:-fleet} (+fleet_test)  mqtt://127.0.0.1:1883  kafka 127.0.0.1:${KAFKA_PORT:-9092}"
