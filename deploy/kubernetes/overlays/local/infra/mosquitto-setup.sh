#!/bin/sh
# Creates the platform's roles and accounts on a Mosquitto with the dynamic-security plugin, as
# deploy/local/mosquitto.sh does on a laptop without containers: nothing is allowed unless a role
# says so, devices get a client and role each when provisioned (by device-twin). Idempotent:
# what exists already is left as it is. Used by overlays/local (a Job) and deploy/compose.
# Env: MQTT_HOST, MQTT_PORT (1883), FLEET_ADMIN_PASSWORD, FLEET_PLATFORM_PASSWORD,
#      FLEET_OBSERVER_PASSWORD, NS_CHIRPSTACK_PASSWORD, NS_TTS_PASSWORD.
set -eu
HOST="${MQTT_HOST:-mosquitto}"
PORT="${MQTT_PORT:-1883}"
ctrl() { mosquitto_ctrl -h "$HOST" -p "$PORT" -u fleet-admin -P "$FLEET_ADMIN_PASSWORD" dynsec "$@"; }
quiet() { ctrl "$@" >/dev/null 2>&1 || true; }

tries=0
until ctrl getDefaultACLAccess publishClientSend >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "mosquitto-setup: broker $HOST:$PORT not answering" >&2; exit 1; }
  sleep 2
done

quiet setDefaultACLAccess publishClientSend deny
quiet setDefaultACLAccess publishClientReceive deny
quiet setDefaultACLAccess subscribe deny

role() { # role <name> <acltype> <topic> [<acltype> <topic>...]
  name=$1
  shift
  quiet createRole "$name"
  while [ $# -gt 0 ]; do
    quiet addRoleACL "$name" "$1" "$2" allow 10
    shift 2
  done
}
role fleet-platform publishClientSend '#' publishClientReceive '#' subscribePattern '#' \
  publishClientSend '$CONTROL/dynamic-security/#' publishClientReceive '$CONTROL/dynamic-security/#' \
  subscribePattern '$CONTROL/dynamic-security/#'
role fleet-observer publishClientReceive '#' subscribePattern '#'
role ns-chirpstack publishClientSend 'application/+/device/+/event/#' \
  publishClientReceive 'application/+/device/+/command/#' subscribePattern 'application/+/device/+/command/#'
role ns-tts publishClientSend 'v3/+/devices/+/up' publishClientSend 'v3/+/devices/+/up/#' \
  publishClientReceive 'v3/+/devices/+/down/#' subscribePattern 'v3/+/devices/+/down/#'

account() { # account <client> <password>
  quiet createClient "$1" -p "$2"
  quiet addClientRole "$1" "$1"
}
account fleet-platform "$FLEET_PLATFORM_PASSWORD"
account fleet-observer "$FLEET_OBSERVER_PASSWORD"
account ns-chirpstack "$NS_CHIRPSTACK_PASSWORD"
account ns-tts "$NS_TTS_PASSWORD"
echo "mosquitto-setup: roles and platform accounts present on $HOST:$PORT"
