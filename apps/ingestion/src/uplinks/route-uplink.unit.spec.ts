import {
  chirpstackLogMessage,
  chirpstackUplinkMessage,
  deviceTopic,
  encodeLorawanAnswer,
  fleetwiseCompactV1,
  LORAWAN_ANSWER_FPORT,
} from '@fleet/device-protocol';
import type { DeviceAccess } from '../device-access/device-access';
import { routeUplink, type RawUplink, type UplinkDirectory, type UplinkOutcome } from './route-uplink';

const receivedAt = Date.parse('2026-05-01T12:00:00Z');
const meter: DeviceAccess = {
  deviceId: 'meter-1',
  tenant: 'acme',
  status: 'active',
  model: 'FW-SENSOR-1',
  devEui: null,
  revision: 2,
};
const lora: DeviceAccess = {
  ...meter,
  deviceId: 'lora-1',
  model: 'FW-LORA-METER',
  devEui: '70b3d57ed0000001',
};
const directory: UplinkDirectory = {
  find: (id) => [meter, lora].find((d) => d.deviceId === id),
  findByDevEui: (eui) => [meter, lora].find((d) => d.devEui === eui),
};
const newId = () => 'msg-1';

const ack = (body: unknown): RawUplink => ({
  topic: deviceTopic('meter-1', 'up', 'ack'),
  payload: Buffer.from(JSON.stringify(body)),
  contentType: undefined,
  receivedAt,
});

const chirpstack = (fPort: number, data: Uint8Array): RawUplink => ({
  ...chirpstackUplinkMessage({
    deduplicationId: 'dedup-7',
    time: receivedAt,
    tenantId: 't1',
    applicationId: '17c82e96-be03-4f38-aef3-f83d48582d97',
    devEui: lora.devEui!,
    fCnt: 12,
    fPort,
    data,
    gateways: [{ gatewayId: 'gw-1', rssi: -101, snr: 4.5 }],
    spreadingFactor: 9,
    dr: 3,
  }),
  contentType: undefined,
  receivedAt,
});

function responseOf(outcome: UplinkOutcome) {
  if (outcome.kind !== 'command-response')
    throw new Error(`expected a command response, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('routing command answers', () => {
  it('given a plain answer on up/ack, when routed, then it is a command response without telemetry', () => {
    const outcome = responseOf(
      routeUplink(
        ack({ id: 'cmd-1', status: 'succeeded', code: '2.05', values: [{ n: '/3/0/9', v: 77 }] }),
        directory,
        newId,
      ),
    );

    expect(outcome).toMatchObject({
      deviceId: 'meter-1',
      messageId: 'msg-1',
      response: { id: 'cmd-1' },
      telemetry: null,
    });
  });

  it('given an observe notification on up/ack, when routed, then its values are also a telemetry record of the device', () => {
    const notification = {
      id: 'obs-1',
      status: 'succeeded',
      code: '2.05',
      observation: 'obs-1',
      values: [
        { bn: '/3/0/', n: '9', v: 64, t: 1_777_636_800 },
        { n: '3', vs: '1.4.3' },
        { bn: '', n: '/3303/0/5700', v: 21.5, u: 'Cel' },
      ],
    };

    const outcome = responseOf(routeUplink(ack(notification), directory, newId));

    expect(outcome.response).toMatchObject({ id: 'obs-1', observation: 'obs-1' });
    expect(outcome.telemetry).toMatchObject({
      messageId: 'msg-1:notification',
      deviceId: 'meter-1',
      receivedAt,
      source: 'mqtt',
      measuredAt: 1_777_636_800_000,
      batteryPercent: 64,
      firmwareVersion: '1.4.3',
      readings: [expect.objectContaining({ path: '/3303/0/5700', numberValue: 21.5, unit: 'Cel' })],
    });
  });

  it('given a notification with resources the registry does not know, when routed, then only the known ones become telemetry', () => {
    const notification = {
      id: 'obs-2',
      status: 'succeeded',
      code: '2.05',
      observation: 'obs-2',
      values: [
        { n: '/3/0/9', v: 50 },
        { n: '/3/0/10', v: 2048 },
        { n: '/3/0/7', v: -5 },
      ],
    };

    const outcome = responseOf(routeUplink(ack(notification), directory, newId));

    expect(outcome.response.values.map((v) => v.path)).toEqual(['/3/0/9', '/3/0/10', '/3/0/7']);
    expect(outcome.telemetry).toMatchObject({ batteryPercent: 50, readings: [] });
  });

  it('given a notification with nothing the registry knows, when routed, then there is no telemetry record', () => {
    const notification = {
      id: 'o',
      status: 'succeeded',
      code: '2.05',
      observation: 'o',
      values: [{ n: '/3/0/10', v: 1 }],
    };

    expect(responseOf(routeUplink(ack(notification), directory, newId)).telemetry).toBeNull();
  });

  it('given a LoRaWAN answer frame on fPort 11, when routed, then it is the command response of lorawan-tag:<tag> with the uplink as telemetry', () => {
    const frame = encodeLorawanAnswer(4660, 'succeeded', '2.05', [{ path: '/3/0/9', value: 71 }]);

    const outcome = responseOf(routeUplink(chirpstack(LORAWAN_ANSWER_FPORT, frame), directory, newId));

    expect(outcome).toMatchObject({
      deviceId: 'lora-1',
      messageId: 'dedup-7',
      receivedAt,
      response: {
        id: 'lorawan-tag:4660',
        status: 'succeeded',
        code: '2.05',
        reason: null,
        observation: null,
        values: [{ path: '/3/0/9', value: 71, timeMs: null, unit: null }],
      },
    });
    // A read result is not telemetry, but the uplink still tells how the device is heard.
    expect(outcome.telemetry).toMatchObject({
      messageId: 'dedup-7',
      source: 'chirpstack',
      batteryPercent: null,
      rssi: -101,
      frameCounter: 12,
      readings: [],
    });
  });

  it('given a LoRaWAN notification frame, when routed, then its values fill the telemetry record too', () => {
    const frame = encodeLorawanAnswer(9, 'succeeded', '2.05', [{ path: '/3/0/9', value: 42 }], {
      notification: true,
    });

    const outcome = responseOf(routeUplink(chirpstack(LORAWAN_ANSWER_FPORT, frame), directory, newId));

    expect(outcome.response).toMatchObject({ id: 'lorawan-tag:9', observation: 'lorawan-tag:9' });
    expect(outcome.telemetry).toMatchObject({ batteryPercent: 42, rssi: -101 });
  });

  it('given a LoRaWAN failure frame, when routed, then the reason reaches the response', () => {
    const frame = encodeLorawanAnswer(10, 'failed', '4.05', [], { reason: '/3/0/9 is read-only' });

    expect(
      responseOf(routeUplink(chirpstack(LORAWAN_ANSWER_FPORT, frame), directory, newId)).response,
    ).toMatchObject({
      id: 'lorawan-tag:10',
      status: 'failed',
      code: '4.05',
      reason: '/3/0/9 is read-only',
    });
  });

  it('given a broken frame on the answer port, when routed, then it is a dead letter of the device', () => {
    const outcome = routeUplink(chirpstack(LORAWAN_ANSWER_FPORT, Buffer.from([1, 0])), directory, newId);

    expect(outcome).toMatchObject({
      kind: 'dead-letter',
      deviceId: 'lora-1',
      source: 'chirpstack',
      error: { code: 'malformed', reason: 'LoRaWAN answer frame: ends inside tag' },
    });
  });

  it('given a measurement frame on another port, when routed, then it is telemetry as before', () => {
    const { fPort, bytes } = fleetwiseCompactV1.encode([
      { path: '/3/0/9', value: 64 },
      { path: '/3303/0/5700', value: 20 },
      { path: '/3331/0/5805', value: 1000 },
    ]);

    expect(routeUplink(chirpstack(fPort, bytes), directory, newId)).toMatchObject({
      kind: 'telemetry',
      telemetry: { batteryPercent: 64, messageId: 'dedup-7' },
    });
  });
});

describe('routeUplink: ChirpStack log events', () => {
  const applicationId = '17c82e96-be03-4f38-aef3-f83d48582d97';
  const log = (code: string, devEui = lora.devEui!, level: 'INFO' | 'ERROR' = 'ERROR'): RawUplink => ({
    ...chirpstackLogMessage({
      time: receivedAt - 1_000,
      tenantId: 't1',
      applicationId,
      devEui,
      level,
      code,
      description: 'the MIC does not match',
    }),
    contentType: undefined,
    receivedAt,
  });

  it('given a frame with a bad MIC from a known device, when routed, then it is an authentication refusal of that device', () => {
    expect(routeUplink(log('UPLINK_MIC'), directory, newId)).toEqual({
      kind: 'authentication-refused',
      refusal: {
        refusalId: 'msg-1',
        eventType: 'DeviceAuthenticationRefused',
        deviceId: 'lora-1',
        transport: 'lorawan',
        observedBy: 'chirpstack',
        reason: 'frame-mic-invalid',
        clientId: null,
        devEui: lora.devEui,
        remoteAddress: null,
        detail: 'UPLINK_MIC: the MIC does not match',
        observedAt: receivedAt - 1_000,
        receivedAt,
      },
    });
  });

  it('given a refused join of a DevEUI nobody provisioned, when routed, then the refusal names the DevEUI but no device', () => {
    const outcome = routeUplink(log('OTAA', '70b3d57ed00000ff'), directory, newId);

    expect(outcome).toMatchObject({
      kind: 'authentication-refused',
      refusal: { deviceId: null, devEui: '70b3d57ed00000ff', reason: 'join-refused' },
    });
  });

  it('given a codec error or an informational log, when routed, then it is ignored, not a refusal', () => {
    expect(routeUplink(log('UPLINK_CODEC'), directory, newId)).toEqual({
      kind: 'ignored',
      reason: 'chirpstack-log-not-authentication',
    });
    expect(routeUplink(log('UPLINK_MIC', lora.devEui!, 'INFO'), directory, newId).kind).toBe('ignored');
  });

  it('given a log event whose DevEUI differs from its topic, when routed, then it is a dead letter with the reason', () => {
    const raw = log('UPLINK_MIC');
    const outcome = routeUplink(
      { ...raw, topic: raw.topic.replace(lora.devEui!, '70b3d57ed0000002') },
      directory,
      newId,
    );

    expect(outcome).toMatchObject({
      kind: 'dead-letter',
      source: 'chirpstack',
      error: { code: 'malformed', reason: expect.stringContaining('topic has devEui 70b3d57ed0000002') },
    });
  });
});
