#!/usr/bin/env bash
# Stop what up.sh started that belongs to this repo: the Kafka broker.
# The machine's PostgreSQL and Mosquitto are shared system services, so they are left running.
set -euo pipefail
"$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kafka.sh" stop
