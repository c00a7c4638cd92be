import { rejectionOf } from '../rejection.test-support';
import { ttsUplinkMessage } from './simulated-uplinks';
import { parseTtsUplink } from './tts';

const topic = 'v3/weather-stations@ttn/devices/dev-eu868-01/up';

/** Shaped like The Things Stack's documented uplink message. */
const up = {
  end_device_ids: {
    device_id: 'dev-eu868-01',
    application_ids: { application_id: 'weather-stations' },
    dev_eui: '70B3D57ED005B89A',
    join_eui: '0000000000000001',
    dev_addr: '260BABCD',
  },
  correlation_ids: ['gs:uplink:01HX6YGQ7AS3VTM5W5W36YV1F1', 'as:up:01HX6YGQ7E0V83YRZ7K4S5J4ZN'],
  received_at: '2026-05-25T13:42:11.412Z',
  uplink_message: {
    session_key_id: 'AWNbm/4zfqx0jZ5q1NlBmw==',
    f_port: 2,
    f_cnt: 1834,
    frm_payload: 'ASsBKAAA',
    decoded_payload: { temperature_c: 29.9 },
    rx_metadata: [
      { gateway_ids: { gateway_id: 'eui-aa555a0000000101' }, rssi: -68, channel_rssi: -68, snr: 9.2 },
      { gateway_ids: { gateway_id: 'eui-aa555a0000000102' }, channel_rssi: -60 },
      { gateway_ids: { gateway_id: 'packetbroker' } },
    ],
    settings: {
      data_rate: { lora: { bandwidth: 125000, spreading_factor: 7, coding_rate: '4/5' } },
      frequency: '868100000',
    },
    received_at: '2026-05-25T13:42:11.392123456Z',
    consumed_airtime: '0.061696s',
  },
};
const parse = (value: unknown, at = topic) => parseTtsUplink(at, Buffer.from(JSON.stringify(value)));

describe('The Things Stack v3 uplinks', () => {
  it('given a documented uplink message, when parsed, then the common uplink is filled from it', () => {
    expect(parse(up)).toEqual({
      network: 'tts',
      devEui: '70b3d57ed005b89a',
      applicationId: 'weather-stations',
      nsDeviceId: 'dev-eu868-01',
      tenantId: 'ttn',
      fPort: 2,
      frmPayload: Buffer.from('012b01280000', 'hex'),
      decodedObject: { temperature_c: 29.9 },
      // channel_rssi stands in for a missing rssi; an absent SNR is a zero left out.
      rssi: -60,
      snr: 0,
      frameCounter: 1834,
      dataRate: 'SF7BW125',
      airtimeMs: 61.696,
      messageId: 'as:up:01HX6YGQ7E0V83YRZ7K4S5J4ZN',
      receivedAt: Date.parse('2026-05-25T13:42:11.392Z'),
    });
  });

  it('given no consumed air time and an older coding-rate field, when parsed, then air time is computed', () => {
    const { consumed_airtime: _c, ...message } = up.uplink_message;
    const settings = { data_rate: { lora: { bandwidth: 125000, spreading_factor: 7 } }, coding_rate: '4/5' };

    // 6-byte FRMPayload + 13 bytes of framing at SF7.
    expect(parse({ ...up, uplink_message: { ...message, settings } }).airtimeMs).toBeCloseTo(51.456, 3);
  });

  it('given no as:up correlation id, when parsed, then DevEUI and reception time form the message id', () => {
    expect(parse({ ...up, correlation_ids: [] }).messageId).toBe('tts:70b3d57ed005b89a:1779716531392');
  });

  it('given an Open Source deployment topic without tenant, when parsed, then the tenant is null', () => {
    expect(parse(up, 'v3/weather-stations/devices/dev-eu868-01/up').tenantId).toBeNull();
  });

  it('given the simulator builder, when its message is parsed, then the same values come back', () => {
    const message = ttsUplinkMessage({
      applicationId: 'app-1',
      tenantId: 'ttn',
      deviceId: 'dev-1',
      devEui: '0102030405060708',
      uplinkId: '01HX',
      receivedAt: Date.parse('2026-05-01T12:00:00Z'),
      fCnt: 3,
      fPort: 1,
      frmPayload: Buffer.alloc(10),
      gateways: [{ gatewayId: 'g', rssi: -100, snr: -3.5 }],
      spreadingFactor: 7,
    });

    expect(parseTtsUplink(message.topic, message.payload)).toMatchObject({
      devEui: '0102030405060708',
      frameCounter: 3,
      rssi: -100,
      snr: -3.5,
      airtimeMs: 61.696,
      messageId: 'as:up:01HX',
    });
  });

  it.each([
    [
      { ...up, end_device_ids: { ...up.end_device_ids, dev_eui: undefined } },
      'invalid tts uplink: end_device_ids.dev_eui is missing (device registered without DevEUI)',
    ],
    [
      { ...up, end_device_ids: { ...up.end_device_ids, device_id: 'other' } },
      'tts uplink: topic has device id dev-eu868-01 but the message other',
    ],
    [
      { ...up, uplink_message: { ...up.uplink_message, f_port: 256 } },
      'invalid tts uplink: uplink_message.f_port: Too big: expected number to be <=255',
    ],
    [
      { ...up, uplink_message: { ...up.uplink_message, consumed_airtime: '61ms' } },
      'invalid tts uplink: uplink_message.consumed_airtime: must be a duration such as 0.061696s',
    ],
    [
      { ...up, uplink_message: undefined },
      'invalid tts uplink: uplink_message: Invalid input: expected object, received undefined',
    ],
  ])('given a broken message (%#), when parsed, then it is refused: %s', (value, reason) => {
    expect(rejectionOf(() => parse(value))).toMatchObject({ code: 'malformed', reason });
  });

  it('given a message over 64 KiB, when parsed, then it is too large', () => {
    const huge = {
      ...up,
      correlation_ids: Array.from({ length: 3000 }, (_, i) => `rpc:${i}:${'x'.repeat(20)}`),
    };

    expect(rejectionOf(() => parse(huge)).code).toBe('too-large');
  });
});
