import { ValidationError } from '@fleet/core';
import { DEFAULT_BATTERY, type BatteryModel } from './device/telemetry-model';
import {
  resolveFirmwareOptions,
  type FirmwareSettings,
  type FirmwareUpdateOptions,
} from './firmware/firmware-options';
import { resolveLorawanFuota, type LorawanFuotaOptions } from './lorawan-fuota/lorawan-fuota-options';
import type { DeviceKind } from './simulator-stats';

/** One device to simulate. */
export interface SimulatedDevice {
  readonly deviceId: string;
  /** Broker password (the provisioning secret); required except for LoRaWAN devices. */
  readonly secret?: string;
  readonly kind: DeviceKind;
  /** LoRaWAN only: 16 hex digits (any case). */
  readonly devEui?: string;
  /** `FW-LORA…` models speak the compact codec over LoRaWAN, others SenML CBOR. */
  readonly model: string;
  /** Sleepy and LoRaWAN devices: seconds between wake-ups/uplinks. Default: the telemetry interval. */
  readonly wakeIntervalSeconds?: number;
  /** Reported in `up/state`. Default `1.4.2`. */
  readonly firmwareVersion?: string;
}

/** The shared network-server account LoRaWAN uplinks are published with (`ns-chirpstack` locally). */
export interface NetworkServerAccount {
  readonly username: string;
  readonly password: string;
  /** ChirpStack application id (a UUID) in the topics. Default {@link DEFAULT_APPLICATION_ID}. */
  readonly applicationId?: string;
  /** Default {@link DEFAULT_TENANT_ID}. */
  readonly tenantId?: string;
}

export const DEFAULT_APPLICATION_ID = '5e1f1ee7-0000-4000-8000-000000000001';
export const DEFAULT_TENANT_ID = '5e1f1ee7-0000-4000-8000-000000000000';

export interface FleetSimulatorOptions {
  /** Default `mqtt://127.0.0.1:1883`. */
  readonly mqttUrl?: string;
  /** Mean time between telemetry uplinks of an always-on device, ms. Default 10000. */
  readonly telemetryIntervalMs?: number;
  /** Each interval is moved by up to ±this fraction of itself. Default 0.1. */
  readonly jitter?: number;
  /** 4 = MQTT 3.1.1, 5 = MQTT 5 (adds content types and session expiry). Default 5. */
  readonly mqttVersion?: 4 | 5;
  /** `mixed`: each device picks JSON or CBOR once, at random. Default `json`. */
  readonly format?: 'json' | 'cbor' | 'mixed';
  /** QoS of telemetry uplinks; state and acks are always QoS 1, as the protocol says. Default 1. */
  readonly qos?: 0 | 1;
  /** How long a sleepy device stays connected after its uplink, for downlinks. Default 2000. */
  readonly sleepyListenWindowMs?: number;
  /** Probability (0..1) that a telemetry uplink is replaced by a malformed one. Default 0. */
  readonly malformedRate?: number;
  /** Telemetry uplinks per device (malformed ones included); then the device only listens. Default unlimited. */
  readonly maxMessages?: number;
  /** Required when any device is LoRaWAN. */
  readonly networkServer?: NetworkServerAccount;
  /** How long the first connection is retried: the broker learns new accounts shortly after provisioning. Default 10000. */
  readonly loginTimeoutMs?: number;
  /** Connections opened at the same time while starting. Default 50. */
  readonly connectConcurrency?: number;
  /** Pause between a reboot's disconnection and the new connection, ms. Default 1000. */
  readonly rebootDelayMs?: number;
  /** Seed of all randomness (readings, jitter, malformed choice). Default: from the clock. */
  readonly seed?: number;
  readonly battery?: BatteryModel;

  // --- Firmware updates over HTTP (LwM2M object 5) ---
  /** Download, verification, installation and injected failures (src/firmware/firmware-options.ts). */
  readonly firmware?: FirmwareUpdateOptions;
  // --- end of firmware updates over HTTP ---

  // --- LoRaWAN multicast firmware sessions (TS003/TS004/TS005) ---
  /** Fragment loss, clock skew, apply delay of LoRaWAN devices (src/lorawan-fuota/lorawan-fuota-options.ts). */
  readonly lorawanFuota?: LorawanFuotaOptions;
  // --- end of LoRaWAN multicast firmware sessions ---
}

export type SimulatorSettings = Required<Omit<FleetSimulatorOptions, 'networkServer' | 'firmware'>> &
  Pick<FleetSimulatorOptions, 'networkServer'> & { readonly firmware: FirmwareSettings };

export function resolveOptions(options: FleetSimulatorOptions): SimulatorSettings {
  const settings: SimulatorSettings = {
    mqttUrl: options.mqttUrl ?? 'mqtt://127.0.0.1:1883',
    telemetryIntervalMs: options.telemetryIntervalMs ?? 10_000,
    jitter: options.jitter ?? 0.1,
    mqttVersion: options.mqttVersion ?? 5,
    format: options.format ?? 'json',
    qos: options.qos ?? 1,
    sleepyListenWindowMs: options.sleepyListenWindowMs ?? 2_000,
    malformedRate: options.malformedRate ?? 0,
    maxMessages: options.maxMessages ?? Number.POSITIVE_INFINITY,
    networkServer: options.networkServer,
    loginTimeoutMs: options.loginTimeoutMs ?? 10_000,
    connectConcurrency: options.connectConcurrency ?? 50,
    rebootDelayMs: options.rebootDelayMs ?? 1_000,
    seed: options.seed ?? Date.now() % 2 ** 31,
    battery: options.battery ?? DEFAULT_BATTERY,
    firmware: resolveFirmwareOptions(options.firmware),
    lorawanFuota: resolveLorawanFuota(options.lorawanFuota),
  };
  const invalid = (message: string) => new ValidationError(`simulator options: ${message}`);
  if (!(settings.telemetryIntervalMs > 0)) throw invalid('telemetryIntervalMs must be positive');
  if (!(settings.jitter >= 0 && settings.jitter < 1)) throw invalid('jitter must be 0 up to 1');
  if (!(settings.malformedRate >= 0 && settings.malformedRate <= 1))
    throw invalid('malformedRate must be 0..1');
  if (!(settings.maxMessages >= 0)) throw invalid('maxMessages must not be negative');
  return settings;
}

/** Checks a device list before anything connects. */
export function checkDevices(devices: readonly SimulatedDevice[], settings: SimulatorSettings): void {
  const seen = new Set<string>();
  for (const device of devices) {
    if (seen.has(device.deviceId)) throw new ValidationError(`device ${device.deviceId} is listed twice`);
    seen.add(device.deviceId);
    if (device.kind === 'lorawan') {
      if (!/^[0-9A-Fa-f]{16}$/.test(device.devEui ?? ''))
        throw new ValidationError(`LoRaWAN device ${device.deviceId} needs a devEui of 16 hex digits`);
      if (!settings.networkServer)
        throw new ValidationError('LoRaWAN devices need the networkServer account option');
    } else if (device.secret === undefined) {
      throw new ValidationError(`device ${device.deviceId} needs its secret to log in`);
    }
  }
}
