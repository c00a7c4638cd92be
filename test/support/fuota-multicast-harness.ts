import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRepoRoot } from '@fleet/auth';
import { fleetwiseCompactV1 } from '@fleet/device-protocol';
import { ensureDevManufacturerKey, sha256Hex, signFirmware, DEV_MANUFACTURER_KEY_ID } from '@fleet/firmware';
import { createKafka, ensureTopics } from '@fleet/messaging';
import { localMqttPassword } from '@fleet/platform';
import { testInfrastructure, uniqueName } from '@fleet/testing';
import { connectAsync, type MqttClient } from 'mqtt';
import { FleetSimulator, type FleetSimulatorOptions } from '../../apps/simulator/src/simulator';
import { DeviceTwinHarness } from './device-twin-harness';
import { freePort, ServiceProcess } from './service-process';

export interface LorawanDevice {
  readonly deviceId: string;
  readonly devEui: string;
}

/** Pacing and windows that make a session of 100 KiB take seconds instead of half an hour. */
export const FAST_MULTICAST_ENV: Readonly<Record<string, string>> = {
  FUOTA_MULTICAST_FRAGMENT_INTERVAL_MS: '10',
  FUOTA_MULTICAST_START_GUARD_MS: '1000',
  FUOTA_MULTICAST_STATUS_WINDOW_MS: '2500',
  FUOTA_MULTICAST_VERIFY_TIMEOUT_MS: '15000',
  FUOTA_MULTICAST_UNICAST_ANSWER_WINDOW_MS: '5000',
  FUOTA_MULTICAST_TICK_MS: '100',
};

/**
 * LoRaWAN multicast FUOTA end to end: device-twin (devices, relayed device events),
 * fuota-orchestrator from dist (artifacts, multicast sessions), the project's Mosquitto and a
 * simulated network server with its LoRaWAN devices; plus an observer of every uplink's firmware
 * version, on the wire, independent of what the orchestrator concludes.
 */
export class FuotaMulticastHarness {
  readonly twin = new DeviceTwinHarness();
  readonly deviceEventsTopic = uniqueName('e2e.device-events');
  /** Firmware versions each device reported (fPort 2 of the compact codec), in order. */
  readonly versions = new Map<string, string[]>();
  orchestrator!: ServiceProcess;
  private artifactDir!: string;
  private observer?: MqttClient;
  private readonly simulators: FleetSimulator[] = [];
  private readonly byDevEui = new Map<string, string>();

  async start(env: Record<string, string> = {}): Promise<void> {
    const kafka = createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'e2e-multicast' });
    await ensureTopics(kafka, [
      { name: this.deviceEventsTopic, partitions: 3, retentionMs: 3_600_000, compacted: false },
      { name: `${this.deviceEventsTopic}.dlt`, partitions: 1, retentionMs: 3_600_000, compacted: false },
    ]);
    this.artifactDir = await mkdtemp(join(tmpdir(), 'e2e-artifacts-'));
    await this.twin.start({ DEVICE_EVENTS_TOPIC: this.deviceEventsTopic });
    this.orchestrator = new ServiceProcess('fuota-orchestrator', await freePort(), {
      PG_URL: this.twin.databaseUrl,
      DEVICE_EVENTS_TOPIC: this.deviceEventsTopic,
      FUOTA_GROUP_PREFIX: uniqueName('e2e-fuota'),
      FUOTA_ARTIFACT_DIR: this.artifactDir,
      ...FAST_MULTICAST_ENV,
      ...env,
    });
    await this.orchestrator.start();
    await this.observe();
  }

  async stop(): Promise<void> {
    await Promise.all(this.simulators.map((s) => s.stop()));
    await this.observer?.endAsync(true);
    await this.orchestrator?.stop();
    await this.twin.stop();
    if (this.artifactDir) await rm(this.artifactDir, { recursive: true, force: true });
  }

  /** LoRaWAN class A devices (EU868, FW-LORA-METER) with random DevEUIs, through device-twin's bulk API. */
  async provisionLorawan(count: number, prefix = uniqueName('mc')): Promise<LorawanDevice[]> {
    const rows = Array.from({ length: count }, (_, i) => ({
      serial: `${prefix}-${i}`,
      manufacturer: 'acme',
      model: 'FW-LORA-METER',
      region: 'EU868',
      deviceClass: { kind: 'lorawan', lorawanClass: 'A', devEui: randomBytes(8).toString('hex') },
    }));
    const { status, body } = await this.twin.json<{ results: { deviceId: string }[] }>('/devices/bulk', {
      method: 'POST',
      token: this.twin.tokens.operator,
      body: JSON.stringify({ devices: rows, reason: 'e2e' }),
    });
    if (status !== 200 && status !== 201) throw new Error(`bulk provisioning answered ${status}`);
    const devices = body.results.map((r, i) => ({
      deviceId: r.deviceId,
      devEui: rows[i]!.deviceClass.devEui,
    }));
    for (const d of devices) this.byDevEui.set(d.devEui, d.deviceId);
    return devices;
  }

  /** Simulated LoRaWAN devices behind the simulated ChirpStack (answers every ~300 ms, one measurement each). */
  async simulate(
    devices: readonly LorawanDevice[],
    options: FleetSimulatorOptions = {},
  ): Promise<FleetSimulator> {
    const simulator = new FleetSimulator(
      devices.map((d) => ({
        deviceId: d.deviceId,
        kind: 'lorawan' as const,
        devEui: d.devEui,
        model: 'FW-LORA-METER',
      })),
      {
        mqttUrl: testInfrastructure.mqttUrl,
        telemetryIntervalMs: 300,
        jitter: 0.3,
        maxMessages: 1,
        seed: 4242,
        networkServer: { username: 'ns-chirpstack', password: localMqttPassword('ns-chirpstack') },
        firmware: { trustedKeysDir: devKeyDir() },
        ...options,
      },
    );
    this.simulators.push(simulator);
    await simulator.start();
    return simulator;
  }

  /** A random image signed with the development manufacturer key, declared and uploaded: its artifact id. */
  async publishArtifact(version: string, imageBytes: number): Promise<string> {
    const key = await ensureDevManufacturerKey(devKeyDir());
    const image = randomBytes(imageBytes);
    const sha256 = sha256Hex(image);
    const signature = signFirmware({ sha256, size: image.length, version }, key.privateKey, 'ecdsa-p256');
    const declared = await this.api<{ artifactId: string }>('POST', '/artifacts', {
      version,
      models: ['FW-LORA-METER'],
      sha256,
      size: image.length,
      signature: signature.toString('base64'),
      keyId: DEV_MANUFACTURER_KEY_ID,
    });
    if (declared.status !== 201)
      throw new Error(`artifact declaration answered ${declared.status}: ${JSON.stringify(declared.body)}`);
    const uploaded = await fetch(`${this.orchestrator.url}/artifacts/${declared.body.artifactId}/image`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${this.twin.tokens.operator}`,
        'content-type': 'application/octet-stream',
      },
      body: image,
    });
    if (uploaded.status !== 200)
      throw new Error(`image upload answered ${uploaded.status}: ${await uploaded.text()}`);
    return declared.body.artifactId;
  }

  async api<T = Record<string, unknown>>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.orchestrator.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.twin.tokens.operator}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  /** POSTs a session, again while the orchestrator has not learnt of the devices yet (device events on their way). */
  async createSession<T = Record<string, unknown>>(
    request: object,
    timeoutMs = 30_000,
  ): Promise<{ status: number; body: T }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await this.api<T & { message?: string }>('POST', '/multicast-sessions', request);
      if (
        answer.status !== 422 ||
        !/unknown devices/.test(answer.body.message ?? '') ||
        Date.now() > deadline
      )
        return answer;
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Records the firmware version of every FW-LORA uplink on fPort 2, as a network-server observer sees it. */
  private async observe(): Promise<void> {
    this.observer = await connectAsync(testInfrastructure.mqttUrl, {
      username: 'fleet-observer',
      password: localMqttPassword('fleet-observer'),
      clientId: uniqueName('e2e-multicast-observer'),
    });
    this.observer.on('message', (topic, payload) => {
      const devEui = /^application\/[^/]+\/device\/([0-9a-f]{16})\/event\/up$/.exec(topic)?.[1];
      const deviceId = devEui && this.byDevEui.get(devEui);
      if (!deviceId) return;
      const up = JSON.parse(payload.toString()) as { fPort?: number; data?: string };
      if (up.fPort !== 2 || !up.data) return;
      const [record] = fleetwiseCompactV1.decode(2, Buffer.from(up.data, 'base64'), Date.now());
      const list = this.versions.get(deviceId) ?? [];
      list.push(String(record?.value));
      this.versions.set(deviceId, list);
    });
    await this.observer.subscribeAsync('application/+/device/+/event/up', { qos: 0 });
  }
}

/** Where the development manufacturer key lives: the orchestrator trusts it there by default. */
export const devKeyDir = (): string => join(findRepoRoot(), '.local', 'firmware-keys');
