#!/usr/bin/env bash
# Make sure an MQTT broker (Mosquitto) answers on 127.0.0.1:1883.
# Installs Mosquitto from Debian if the binary is missing (fresh CI machines).
set -euo pipefail

port_open() { (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; }

if port_open; then echo "mosquitto: ready on 127.0.0.1:1883"; exit 0; fi

if ! command -v mosquitto >/dev/null && [[ ! -x /usr/sbin/mosquitto ]]; then
  echo "mosquitto: installing from apt"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients >/dev/null
fi

echo "mosquitto: starting"
# Without systemd nobody creates the pid-file dir from the Debian config; Mosquitto
# 2.x with no listener configured serves anonymous clients on localhost:1883.
mkdir -p /run/mosquitto
chown mosquitto: /run/mosquitto 2>/dev/null || true
PATH="$PATH:/usr/sbin" mosquitto -d -c /etc/mosquitto/mosquitto.conf
for _ in $(seq 20); do port_open && { echo "mosquitto: ready on 127.0.0.1:1883"; exit 0; }; sleep 0.5; done
echo "mosquitto: not listening on 1883 after 10s (see /var/log/mosquitto/)" >&2
exit 1
