import { randomUUID } from 'node:crypto';
import {
  chirpstackUplinkMessage,
  encodeLorawanAnswer,
  encodeSenml,
  fleetwiseCompactV1,
  LORAWAN_ANSWER_FPORT,
  ttsUplinkMessage,
} from '@fleet/device-protocol';
import {
  IngestionHarness,
  type CommandResponseRecord,
  type ProvisionedDevice,
} from '../support/ingestion-harness';

const up = (id: string, kind = 'telemetry') => `fleet/v1/devices/${id}/up/${kind}`;

describe('ingestion: uplinks from devices and network servers', () => {
  const harness = new IngestionHarness();
  let devices: ProvisionedDevice[];
  let lora: ProvisionedDevice[];

  beforeAll(async () => {
    await harness.start();
    devices = await harness.provision(4);
    lora = await harness.provisionLorawan(2);
  });
  afterAll(() => harness.stop());

  const twin = (deviceId: string) =>
    harness.twin
      .json<{
        connectivity: { batteryPercent: number | null; rssi: number | null; lastSeenAt: string | null };
      }>(`/devices/${deviceId}`, { token: harness.twin.tokens.viewer })
      .then((r) => r.body);

  it('turns SenML JSON and CBOR uplinks into telemetry records and the twin shows them', async () => {
    const [device] = devices as [ProvisionedDevice];
    const client = await harness.connectDevice(device);
    const pack = [
      { path: '/3/0/9', value: 81 },
      { path: '/4/0/2', value: -97 },
      { path: '/3303/0/5700', value: 21.5, unit: 'Cel' },
    ];
    await client.publishAsync(up(device.deviceId), encodeSenml(pack, 'json'), { qos: 1 });
    await client.publishAsync(up(device.deviceId), encodeSenml([{ path: '/3/0/9', value: 80 }], 'cbor'), {
      qos: 1,
    });
    await harness.until(
      () => (harness.telemetry.get(device.deviceId)?.length ?? 0) >= 2,
      15_000,
      'two records',
    );
    const [first, second] = harness.telemetry.get(device.deviceId)!;
    expect(first).toMatchObject({ source: 'mqtt', batteryPercent: 81, rssi: -97 });
    expect(first!.readings).toEqual([
      expect.objectContaining({ path: '/3303/0/5700', numberValue: 21.5, unit: 'Cel' }),
    ]);
    expect(second).toMatchObject({ batteryPercent: 80 });
    let view = await twin(device.deviceId);
    for (let i = 0; i < 50 && view.connectivity.batteryPercent !== 80; i++) {
      await new Promise((r) => setTimeout(r, 200));
      view = await twin(device.deviceId);
    }
    expect(view.connectivity).toMatchObject({ batteryPercent: 80, rssi: -97 });
  });

  it('routes a command answer to the command-responses topic', async () => {
    const device = devices[1]!;
    const client = await harness.connectDevice(device);
    const ack = { id: 'cmd-1', status: 'succeeded', code: '2.05', values: [{ n: '/3/0/9', v: 77 }] };
    await client.publishAsync(up(device.deviceId, 'ack'), JSON.stringify(ack), { qos: 1 });
    await harness.until(
      () => harness.responses.some((r) => r.deviceId === device.deviceId),
      15_000,
      'the response',
    );
    expect(harness.responses.find((r) => r.deviceId === device.deviceId)).toMatchObject({
      commandId: 'cmd-1',
      status: 'succeeded',
      values: [expect.objectContaining({ path: '/3/0/9', numberValue: 77 })],
    });
  });

  it('maps ChirpStack and The Things Stack uplinks to the device found by DevEUI', async () => {
    const [viaChirpstack, viaTts] = lora as [ProvisionedDevice, ProvisionedDevice];
    const payload = fleetwiseCompactV1.encode([
      { path: '/3/0/9', timeMs: null, value: 64, unit: null },
      { path: '/3303/0/5700', timeMs: null, value: 18.25, unit: 'Cel' },
      { path: '/3331/0/5805', timeMs: null, value: 12345, unit: 'Wh' },
    ]);
    const chirpstack = await harness.connectAccount('ns-chirpstack');
    const message = chirpstackUplinkMessage({
      deduplicationId: randomUUID(),
      time: Date.now(),
      tenantId: 't1',
      applicationId: randomUUID(),
      devEui: viaChirpstack.devEui!,
      fCnt: 42,
      fPort: payload.fPort,
      data: payload.bytes,
      gateways: [
        { gatewayId: 'gw-a', rssi: -118, snr: -7 },
        { gatewayId: 'gw-b', rssi: -101, snr: 4.5 },
      ],
      spreadingFactor: 7,
      dr: 5,
    });
    await chirpstack.publishAsync(message.topic, message.payload, { qos: 1 });
    const tts = await harness.connectAccount('ns-tts');
    const ttsMessage = ttsUplinkMessage({
      applicationId: 'app-2',
      tenantId: 'acme',
      deviceId: 'meter-2',
      devEui: viaTts.devEui!,
      receivedAt: Date.now(),
      fCnt: 7,
      fPort: payload.fPort,
      frmPayload: payload.bytes,
      uplinkId: randomUUID(),
      gateways: [{ gatewayId: 'gw-c', rssi: -90, snr: 8 }],
      spreadingFactor: 9,
    });
    await tts.publishAsync(ttsMessage.topic, ttsMessage.payload, { qos: 1 });

    await harness.until(
      () => harness.telemetry.has(viaChirpstack.deviceId) && harness.telemetry.has(viaTts.deviceId),
      15_000,
      'both network-server uplinks',
    );
    expect(harness.telemetry.get(viaChirpstack.deviceId)![0]).toMatchObject({
      source: 'chirpstack',
      batteryPercent: 64,
      rssi: -101,
      snr: 4.5,
      frameCounter: 42,
      dataRate: 'SF7BW125',
      airtimeMs: expect.any(Number),
    });
    expect(harness.telemetry.get(viaTts.deviceId)![0]).toMatchObject({
      source: 'tts',
      batteryPercent: 64,
      rssi: -90,
      frameCounter: 7,
      dataRate: 'SF9BW125',
    });
  });

  it('refuses and counts uplinks of unknown and suspended devices, and of unknown DevEUIs', async () => {
    const platform = await harness.connectAccount('fleet-platform');
    const suspended = devices[2]!;
    await harness.twin.json(`/devices/${suspended.deviceId}/suspend`, {
      method: 'POST',
      token: harness.twin.tokens.operator,
      body: JSON.stringify({ reason: 'stolen' }),
    });
    const pack = encodeSenml([{ path: '/3/0/9', value: 50 }], 'json');
    // Only platform accounts may still publish on these topics; ingestion must refuse them anyway.
    await new Promise((r) => setTimeout(r, 1_500)); // the suspension reaches ingestion over Kafka
    await platform.publishAsync(up(randomUUID()), pack, { qos: 1 });
    await platform.publishAsync(up(suspended.deviceId), pack, { qos: 1 });
    const chirpstack = await harness.connectAccount('ns-chirpstack');
    const stranger = chirpstackUplinkMessage({
      deduplicationId: randomUUID(),
      time: Date.now(),
      tenantId: 't1',
      applicationId: randomUUID(),
      devEui: '0011223344556677',
      fCnt: 1,
      fPort: 1,
      data: Buffer.alloc(7),
      gateways: [{ gatewayId: 'gw-a', rssi: -100, snr: 1 }],
      spreadingFactor: 7,
      dr: 5,
    });
    await chirpstack.publishAsync(stranger.topic, stranger.payload, { qos: 1 });
    let counts = [0, 0];
    // Unknown devices are judged again for a few seconds (directory lag) before being refused.
    for (let i = 0; i < 100; i++) {
      counts = [
        await harness.outcomeCount('refused', 'unknown-device'),
        await harness.outcomeCount('refused', 'device-suspended'),
      ];
      if (counts[0]! >= 2 && counts[1]! >= 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(counts).toEqual([2, 1]);
    expect(harness.telemetry.has(suspended.deviceId)).toBe(false);
  });

  it('publishes an observe notification on up/ack both as a command response and as telemetry', async () => {
    const device = devices[3]!;
    const client = await harness.connectDevice(device);
    const notification = {
      id: 'observe-1',
      status: 'succeeded',
      code: '2.05',
      observation: 'observe-1',
      values: [
        { n: '/3/0/9', v: 58 },
        { n: '/3303/0/5700', v: 19.5, u: 'Cel' },
      ],
    };
    await client.publishAsync(up(device.deviceId, 'ack'), JSON.stringify(notification), { qos: 1 });
    await harness.until(
      () =>
        harness.responses.some((r) => r.deviceId === device.deviceId) &&
        harness.telemetry.has(device.deviceId),
      15_000,
      'the notification on both topics',
    );
    // The harness types only what every suite needs; the record holds all of CommandResponse.
    const response = harness.responses.find((r) => r.deviceId === device.deviceId) as
      (CommandResponseRecord & { messageId: string }) | undefined;
    expect(response).toMatchObject({ commandId: 'observe-1', observation: 'observe-1', status: 'succeeded' });
    expect(harness.telemetry.get(device.deviceId)).toEqual([
      expect.objectContaining({
        messageId: `${response?.messageId}:notification`,
        source: 'mqtt',
        batteryPercent: 58,
        readings: [expect.objectContaining({ path: '/3303/0/5700', numberValue: 19.5, unit: 'Cel' })],
      }),
    ]);
  });

  it('maps a LoRaWAN answer frame to the command response of its tag, the uplink to telemetry', async () => {
    const device = lora[0]!;
    const before = harness.telemetry.get(device.deviceId)?.length ?? 0;
    const chirpstack = await harness.connectAccount('ns-chirpstack');
    const message = chirpstackUplinkMessage({
      deduplicationId: randomUUID(),
      time: Date.now(),
      tenantId: 't1',
      applicationId: randomUUID(),
      devEui: device.devEui!,
      fCnt: 43,
      fPort: LORAWAN_ANSWER_FPORT,
      data: encodeLorawanAnswer(4660, 'succeeded', '2.05', [{ path: '/3/0/9', value: 63 }]),
      gateways: [{ gatewayId: 'gw-a', rssi: -99, snr: 5 }],
      spreadingFactor: 7,
      dr: 5,
    });
    await chirpstack.publishAsync(message.topic, message.payload, { qos: 1 });
    await harness.until(
      () =>
        harness.responses.some((r) => r.deviceId === device.deviceId) &&
        (harness.telemetry.get(device.deviceId)?.length ?? 0) > before,
      15_000,
      'the answer and its uplink',
    );
    expect(harness.responses.find((r) => r.deviceId === device.deviceId)).toMatchObject({
      commandId: 'lorawan-tag:4660',
      status: 'succeeded',
      code: '2.05',
      observation: null,
      values: [expect.objectContaining({ path: '/3/0/9', numberValue: 63 })],
    });
    expect(harness.telemetry.get(device.deviceId)!.at(-1)).toMatchObject({
      source: 'chirpstack',
      frameCounter: 43,
      rssi: -99,
      readings: [],
    });
  });
});
