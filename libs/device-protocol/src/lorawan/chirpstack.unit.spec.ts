import { rejectionOf } from '../rejection.test-support';
import { parseChirpstackUplink } from './chirpstack';
import { chirpstackUplinkMessage } from './simulated-uplinks';

const applicationId = '17c82e96-be03-4f38-aef3-f83d48582d97';
const topic = `application/${applicationId}/device/0101010101010101/event/up`;

/** Shaped like ChirpStack v4's documented uplink event, including fields Fleetwise ignores. */
const event = {
  deduplicationId: '3ac7e3c4-4401-4b8d-9386-a5c902f9202d',
  time: '2022-07-18T09:34:15.775023242+00:00',
  deviceInfo: {
    tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
    tenantName: 'ChirpStack',
    applicationId,
    applicationName: 'Test application',
    deviceProfileId: '14855bf7-d10d-4aee-b618-ebfcb64dc7ad',
    deviceProfileName: 'FW-LORA-T1',
    deviceName: 'Test device',
    devEui: '0101010101010101',
    tags: { site: 'north' },
  },
  devAddr: '00189440',
  adr: true,
  dr: 1,
  fCnt: 4,
  fPort: 1,
  confirmed: true,
  data: 'VwhmAAAwOQ==',
  object: { temperature: 21.5 },
  rxInfo: [
    { gatewayId: '0016c001f153a14c', uplinkId: 4217106255, rssi: -99, snr: 2.5, context: 'E3OWOQ==' },
    { gatewayId: '0016c001f153a14d', uplinkId: 1, rssi: -36, snr: 10.5 },
    { gatewayId: '0016c001f153a14e', uplinkId: 2, rssi: -36, snr: 11 },
  ],
  txInfo: {
    frequency: 868100000,
    modulation: { lora: { bandwidth: 125000, spreadingFactor: 11, codeRate: 'CR_4_5' } },
  },
};
const parse = (value: unknown, at = topic) => parseChirpstackUplink(at, Buffer.from(JSON.stringify(value)));

describe('ChirpStack v4 uplinks', () => {
  it('given a documented uplink event, when parsed, then the common uplink is filled from it', () => {
    const uplink = parse(event);

    expect(uplink).toEqual({
      network: 'chirpstack',
      devEui: '0101010101010101',
      applicationId,
      fPort: 1,
      frmPayload: Buffer.from('57086600003039', 'hex'),
      decodedObject: { temperature: 21.5 },
      rssi: -36,
      snr: 11,
      frameCounter: 4,
      dataRate: 'SF11BW125',
      airtimeMs: expect.any(Number) as number,
      messageId: '3ac7e3c4-4401-4b8d-9386-a5c902f9202d',
      receivedAt: Date.parse('2022-07-18T09:34:15.775Z'),
    });
    // 7-byte FRMPayload + 13 bytes of LoRaWAN framing at SF11 (low data rate optimisation on).
    expect(uplink.airtimeMs).toBeCloseTo(741.376, 3);
  });

  it('given zero values left out as protobuf JSON does, when parsed, then fCnt, fPort and data are 0 and empty', () => {
    const { fCnt: _f, fPort: _p, data: _d, dr: _r, object: _o, ...first } = event;

    expect(parse(first)).toMatchObject({ frameCounter: 0, fPort: 0, frmPayload: Buffer.alloc(0) });
  });

  it('given a non-LoRa modulation, when parsed, then the data rate is the DR index and air time unknown', () => {
    expect(
      parse({ ...event, txInfo: { frequency: 868800000, modulation: { fsk: { datarate: 50000 } } } }),
    ).toMatchObject({
      dataRate: 'DR1',
      airtimeMs: null,
    });
  });

  it('given no gateway metadata, when parsed, then RSSI and SNR are unknown', () => {
    expect(parse({ ...event, rxInfo: [] })).toMatchObject({ rssi: null, snr: null });
  });

  it('given the simulator builder, when its message is parsed, then the same values come back', () => {
    const message = chirpstackUplinkMessage({
      deduplicationId: 'd-1',
      time: Date.parse('2026-05-01T12:00:00Z'),
      tenantId: 't-1',
      applicationId,
      devEui: '0101010101010101',
      fCnt: 9,
      fPort: 2,
      data: Buffer.from('1.4.2'),
      gateways: [{ gatewayId: 'g', rssi: -90, snr: 5 }],
      spreadingFactor: 7,
      dr: 5,
    });

    expect(parseChirpstackUplink(message.topic, message.payload)).toMatchObject({
      fPort: 2,
      frameCounter: 9,
      frmPayload: Buffer.from('1.4.2'),
      rssi: -90,
      dataRate: 'SF7BW125',
      messageId: 'd-1',
      receivedAt: Date.parse('2026-05-01T12:00:00Z'),
    });
  });

  it.each([
    [
      { ...event, deviceInfo: { ...event.deviceInfo, devEui: '0202020202020202' } },
      'chirpstack uplink: topic has devEui 0101010101010101 but the message 0202020202020202',
    ],
    [{ ...event, fCnt: -1 }, 'invalid chirpstack uplink: fCnt: Too small: expected number to be >=0'],
    [{ ...event, data: 'not base64!' }, 'invalid chirpstack uplink: data: must be base64'],
    [{ ...event, time: 'yesterday' }, 'invalid chirpstack uplink: time: Invalid ISO datetime'],
    [
      { ...event, rxInfo: [{ gatewayId: 'g', rssi: '-36' }] },
      'invalid chirpstack uplink: rxInfo.0.rssi: Invalid input: expected number, received string',
    ],
    [
      { ...event, deduplicationId: undefined },
      'invalid chirpstack uplink: deduplicationId: Invalid input: expected string, received undefined',
    ],
    [
      { ...event, data: Buffer.alloc(243).toString('base64') },
      'invalid chirpstack uplink: data: must decode to at most 242 bytes',
    ],
  ])('given a broken event (%#), when parsed, then it is refused: %s', (value, reason) => {
    expect(rejectionOf(() => parse(value))).toMatchObject({ code: 'malformed', reason });
  });

  it('given a topic of another event, when parsed, then it is refused as not an uplink topic', () => {
    expect(rejectionOf(() => parse(event, topic.replace('/up', '/join'))).reason).toMatch(
      /^not a ChirpStack uplink topic/,
    );
  });
});
