#!/usr/bin/env bash
# Stop what up.sh started that belongs to this repo: the Kafka broker and the project's Mosquitto.
# The machine's PostgreSQL is a shared system service and is left running.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$HERE/kafka.sh" stop
PID_FILE="$HERE/../../.local/mosquitto/mosquitto.pid"
if [[ -f "$PID_FILE" ]] && kill "$(cat "$PID_FILE")" 2>/dev/null; then echo "mosquitto: stopped"; fi
