import { rejectionOf } from '../rejection.test-support';
import { chirpstackDownlink, parseChirpstackDownlink, ttsDownlink } from './downlinks';

const applicationId = '17c82e96-be03-4f38-aef3-f83d48582d97';

describe('network-server downlinks', () => {
  it('given bytes for a ChirpStack device, when built, then topic and payload follow the MQTT integration', () => {
    const { topic, payload } = chirpstackDownlink(
      applicationId,
      '0101010101010101',
      10,
      Buffer.from([0xbe, 0xef]),
    );

    expect(topic).toBe(`application/${applicationId}/device/0101010101010101/command/down`);
    expect(JSON.parse(payload.toString())).toEqual({
      devEui: '0101010101010101',
      confirmed: false,
      fPort: 10,
      data: 'vu8=',
    });
  });

  it('given bytes for a The Things Stack device, when built, then they are pushed with a priority', () => {
    const address = { applicationId: 'app-1', tenantId: 'ttn', deviceId: 'dev-1' };
    const { topic, payload } = ttsDownlink(address, 15, Buffer.from([0xbe, 0xef]), {
      confirmed: true,
      priority: 'HIGH',
    });

    expect(topic).toBe('v3/app-1@ttn/devices/dev-1/down/push');
    expect(JSON.parse(payload.toString())).toEqual({
      downlinks: [{ f_port: 15, frm_payload: 'vu8=', priority: 'HIGH', confirmed: true }],
    });
  });

  it.each([
    [0, 1, 'fPort 0 is not 1-223'],
    [224, 1, 'fPort 224 is not 1-223'],
    [1, 243, 'downlink of 243 bytes exceeds 242'],
  ])('given fPort %d and %d bytes, when built, then it is refused', (fPort, size, message) => {
    expect(() => chirpstackDownlink(applicationId, '0101010101010101', fPort, Buffer.alloc(size))).toThrow(
      message,
    );
  });

  it('given a ChirpStack downlink, when the network server parses it, then devEui, fPort and bytes come back', () => {
    const { payload } = chirpstackDownlink(applicationId, '0101010101010101', 10, Buffer.from([0xbe, 0xef]));

    expect(parseChirpstackDownlink(payload)).toEqual({
      devEui: '0101010101010101',
      confirmed: false,
      fPort: 10,
      data: Buffer.from([0xbe, 0xef]),
    });
  });

  it('given a ChirpStack downlink without a port, when parsed, then it is refused', () => {
    expect(
      rejectionOf(() => parseChirpstackDownlink(Buffer.from('{"devEui":"0101010101010101"}'))),
    ).toMatchObject({
      code: 'malformed',
      reason: expect.stringContaining('invalid chirpstack downlink: fPort'),
    });
  });
});
