import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import {
  chirpstackDownlink,
  decodeCommandResponse,
  decodeLorawanAnswer,
  decodeNetworkServerUplink,
  decodeSenml,
  deviceTopic,
  encodeCommand,
  encodeDesiredConfiguration,
  encodeLorawanCommand,
  LORAWAN_ANSWER_FPORT,
  LORAWAN_COMMAND_FPORT,
  parseChirpstackUplink,
  toDeviceTelemetry,
} from '@fleet/device-protocol';
import { MosquittoDynamicSecurity } from '@fleet/messaging';
import { localMqttPassword } from '@fleet/platform';
import { testInfrastructure } from '@fleet/testing';
import { DEFAULT_APPLICATION_ID } from './simulator-options';
import { FleetSimulator, type SimulatedDevice } from './simulator';

const url = testInfrastructure.mqttUrl;
const connect = (options: IClientOptions) =>
  connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3_000, protocolVersion: 5, ...options });
const run = randomUUID().slice(0, 8);
const id = (n: number) => `it-sim-${run}-${n}`;
const devEui = `5e1f${run}0001`;

interface Seen {
  readonly topic: string;
  readonly payload: Buffer;
}

describe('FleetSimulator against the local broker', () => {
  const devices: SimulatedDevice[] = [
    { deviceId: id(1), secret: `pw-${run}-1`, kind: 'always-on', model: 'FW-SENSOR-1' },
    { deviceId: id(2), secret: `pw-${run}-2`, kind: 'always-on', model: 'FW-SENSOR-1' },
    { deviceId: id(3), secret: `pw-${run}-3`, kind: 'always-on', model: 'FW-SENSOR-1' },
    { deviceId: id(4), secret: `pw-${run}-4`, kind: 'sleepy', model: 'FW-SENSOR-1', wakeIntervalSeconds: 2 },
    { deviceId: id(5), kind: 'lorawan', devEui, model: 'FW-LORA-METER' },
  ];
  const seen: Seen[] = [];
  let admin: MqttClient;
  let observer: MqttClient;
  let access: MosquittoDynamicSecurity;
  let simulator: FleetSimulator;

  const waitFor = async (what: string, match: (message: Seen) => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = seen.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await sleep(50);
    }
  };
  const on = (deviceId: string, kind: 'telemetry' | 'state' | 'ack') => (message: Seen) =>
    message.topic === deviceTopic(deviceId, 'up', kind);
  const measuredAt = (message: Seen) =>
    toDeviceTelemetry(decodeSenml(message.payload, { now: Date.now() }), {
      deviceId: 'x',
      messageId: 'x',
      receivedAt: 0,
      source: 'mqtt',
    });

  beforeAll(async () => {
    admin = await connect({
      username: 'fleet-platform',
      password: localMqttPassword('fleet-platform'),
      clientId: `it-sim-admin-${run}`,
    });
    access = new MosquittoDynamicSecurity(() => Promise.resolve(admin));
    await Promise.all(
      devices.flatMap((d) => (d.secret ? [access.registerDevice(d.deviceId, d.secret, true)] : [])),
    );
    observer = await connect({
      username: 'fleet-observer',
      password: localMqttPassword('fleet-observer'),
      clientId: `it-sim-observer-${run}`,
    });
    observer.on('message', (topic, payload) => {
      if (topic.includes(`it-sim-${run}`) || topic.includes(devEui)) seen.push({ topic, payload });
    });
    await observer.subscribeAsync(['fleet/v1/devices/+/up/+', 'application/+/device/+/event/up'], { qos: 1 });
    simulator = new FleetSimulator(devices, {
      mqttUrl: url,
      telemetryIntervalMs: 300,
      maxMessages: 3,
      format: 'mixed',
      sleepyListenWindowMs: 300,
      loginTimeoutMs: 5_000,
      seed: 42,
      networkServer: { username: 'ns-chirpstack', password: localMqttPassword('ns-chirpstack') },
    });
    await simulator.start();
  });

  afterAll(async () => {
    await simulator?.stop();
    // The sleepy device's kept session would outlive the test on the broker: end it.
    const sleepy = devices[3]!;
    await connect({
      username: sleepy.deviceId,
      password: sleepy.secret!,
      clientId: sleepy.deviceId,
      clean: true,
    })
      .then((client) => client.endAsync())
      .catch(() => undefined);
    await Promise.all(devices.filter((d) => d.secret).map((d) => access?.removeDevice(d.deviceId)));
    await observer?.endAsync();
    await admin?.endAsync();
  });

  it('sends each device its uplinks on its own topics, each with the measuredAt it reports', async () => {
    await simulator.whenDone(20_000);
    for (const { deviceId } of devices.slice(0, 4)) {
      const record = simulator.device(deviceId);
      expect(record?.telemetry).toHaveLength(3);
      await waitFor(`state of ${deviceId}`, on(deviceId, 'state'));
      for (const time of record?.telemetry ?? []) {
        const uplink = await waitFor(
          `uplink ${time}`,
          (m) => on(deviceId, 'telemetry')(m) && measuredAt(m).measuredAt === time,
        );
        expect(measuredAt(uplink).batteryPercent).toBeGreaterThan(0);
      }
    }
    expect(simulator.snapshot().counters).toMatchObject({ connectFailures: 0, uplinksFailed: 0 });
  });

  it('publishes LoRaWAN uplinks as ChirpStack events with the compact codec payload', async () => {
    const record = simulator.device(id(5));
    expect(record?.telemetry).toHaveLength(3);
    expect(record?.state).toHaveLength(1);
    const time = record?.telemetry[0];
    const event = await waitFor(
      'ChirpStack uplink',
      (m) =>
        m.topic.endsWith(`/device/${devEui}/event/up`) &&
        parseChirpstackUplink(m.topic, m.payload).receivedAt === time,
    );
    const uplink = parseChirpstackUplink(event.topic, event.payload);
    expect(uplink).toMatchObject({ fPort: 1, dataRate: expect.stringMatching(/^SF\d+BW125$/) });
    expect(uplink.rssi).toBeLessThan(0);
    expect(decodeNetworkServerUplink(uplink, 'FW-LORA-METER').map((r) => r.path)).toEqual([
      '/3/0/9',
      '/3303/0/5700',
      '/3331/0/5805',
    ]);
  });

  it('receives the downlinks ChirpStack would queue for a LoRaWAN device', async () => {
    const applicationId = simulator.settings.networkServer?.applicationId ?? DEFAULT_APPLICATION_ID;
    const { topic, payload } = chirpstackDownlink(applicationId, devEui, 10, Buffer.from([1, 2]));
    await admin.publishAsync(topic, payload, { qos: 1 });
    const deadline = Date.now() + 5_000;
    while (simulator.device(id(5))?.downlinks === 0 && Date.now() < deadline) await sleep(20);
    expect(simulator.device(id(5))?.downlinks).toBe(1);
  });

  it('answers a LoRaWAN command frame with its next uplink, on the answer port', async () => {
    const applicationId = simulator.settings.networkServer?.applicationId ?? DEFAULT_APPLICATION_ID;
    const read = {
      operation: 'read',
      path: '/3/0/9',
      value: null,
      arguments: null,
      attributes: null,
      instanceValues: null,
    } as const;
    const { topic, payload } = chirpstackDownlink(
      applicationId,
      devEui,
      LORAWAN_COMMAND_FPORT,
      encodeLorawanCommand(4242, read),
    );
    await admin.publishAsync(topic, payload, { qos: 1 });

    const event = await waitFor(
      'answer uplink',
      (m) =>
        m.topic.endsWith(`/device/${devEui}/event/up`) &&
        parseChirpstackUplink(m.topic, m.payload).fPort === LORAWAN_ANSWER_FPORT,
    );
    const answer = decodeLorawanAnswer(parseChirpstackUplink(event.topic, event.payload).frmPayload);
    expect(answer).toMatchObject({ tag: 4242, status: 'succeeded', code: '2.05', notification: false });
    expect(answer.values).toEqual([{ path: '/3/0/9', value: expect.any(Number) }]);
  });

  it('answers down/config with up/state reporting the new configuration', async () => {
    const payload = encodeDesiredConfiguration({
      version: 7,
      desired: { 'application.logicalName': `room-${run}` },
    });
    await admin.publishAsync(deviceTopic(id(1), 'down', 'config'), payload, { qos: 1 });
    const state = await waitFor('state', (m) => on(id(1), 'state')(m) && m.payload.includes(`room-${run}`));
    expect(measuredAt(state).reportedConfiguration).toMatchObject({
      'application.logicalName': expect.anything(),
    });
  });

  it('answers a read command on up/ack with the current value', async () => {
    const command = encodeCommand({ id: `read-${run}`, op: 'read', path: '/3/0/9' });
    await admin.publishAsync(deviceTopic(id(2), 'down', 'command'), command, { qos: 1 });
    const ack = await waitFor('ack', (m) => on(id(2), 'ack')(m) && m.payload.includes(`read-${run}`));
    const response = decodeCommandResponse(ack.payload, { now: Date.now() });
    expect(response).toMatchObject({ id: `read-${run}`, status: 'succeeded', code: '2.05' });
    expect(response.values).toEqual([expect.objectContaining({ path: '/3/0/9', unit: '%' })]);
  });

  it('queues a downlink for a sleepy device and answers it when it wakes', async () => {
    const asleep = Date.now() + 5_000;
    while (simulator.device(id(4))?.online !== false && Date.now() < asleep) await sleep(10);
    expect(simulator.device(id(4))?.online).toBe(false);
    const payload = encodeDesiredConfiguration({
      version: 2,
      desired: { 'application.destination': `d-${run}` },
    });
    await admin.publishAsync(deviceTopic(id(4), 'down', 'config'), payload, { qos: 1 });
    await waitFor('sleepy state', (m) => on(id(4), 'state')(m) && m.payload.includes(`d-${run}`));
  });

  it('reboots on execute /3/0/4: answers, reconnects and reports its state again', async () => {
    const states = () => simulator.device(id(3))?.state.length ?? 0;
    const before = states();
    const command = encodeCommand({ id: `reboot-${run}`, op: 'execute', path: '/3/0/4' });
    await admin.publishAsync(deviceTopic(id(3), 'down', 'command'), command, { qos: 1 });
    await waitFor('reboot ack', (m) => on(id(3), 'ack')(m) && m.payload.includes(`reboot-${run}`));
    const deadline = Date.now() + 10_000;
    while (states() === before && Date.now() < deadline) await sleep(50);
    expect(states()).toBe(before + 1);
    expect(simulator.snapshot().counters.reboots).toBe(1);
  });
});
