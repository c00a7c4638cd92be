import type { NetworkServerUplink } from '../lorawan/network-server-uplink';
import { rejectionOf } from '../rejection.test-support';
import { encodeSenml } from '../senml';
import { decodeNetworkServerUplink } from './decode-network-server-uplink';
import { senmlCborCodec } from './senml-cbor-codec';

const receivedAt = Date.parse('2026-05-01T12:00:00Z');
const uplink: NetworkServerUplink = {
  network: 'chirpstack',
  devEui: '0101010101010101',
  applicationId: '17c82e96-be03-4f38-aef3-f83d48582d97',
  fPort: 1,
  frmPayload: Buffer.from('57086600003039', 'hex'),
  rssi: -90,
  snr: 5,
  frameCounter: 1,
  dataRate: 'SF7BW125',
  airtimeMs: 51.456,
  messageId: 'm-1',
  receivedAt,
};

describe('decoding a network-server uplink', () => {
  it.each([200, 201, 202])(
    'given a FUOTA package answer on FPort %d, when decoded, then it carries no readings (fuota-orchestrator reads it)',
    (fPort) => {
      // FragSessionStatusAns: not a reading, and no reason to dead-letter it.
      expect(
        decodeNetworkServerUplink(
          { ...uplink, fPort, frmPayload: Buffer.from('01050000', 'hex') },
          'FW-LORA-T1',
        ),
      ).toEqual([]);
    },
  );

  it('given a FW-LORA model, when decoded, then the compact codec reads the FRMPayload', () => {
    expect(decodeNetworkServerUplink(uplink, 'FW-LORA-T1').map((r) => [r.path, r.value])).toEqual([
      ['/3/0/9', 87],
      ['/3303/0/5700', 21.5],
      ['/3331/0/5805', 12345],
    ]);
  });

  it('given another model, when decoded, then the FRMPayload is a SenML CBOR pack', () => {
    const frmPayload = encodeSenml([{ path: '/3304/0/5700', value: 40 }], 'cbor');

    expect(decodeNetworkServerUplink({ ...uplink, frmPayload }, 'WM-200')).toEqual([
      { path: '/3304/0/5700', timeMs: null, value: 40, unit: null },
    ]);
  });

  it('given a decoded object wrapping a SenML pack under "senml", when decoded, then it wins over the codec', () => {
    const decodedObject = { senml: [{ bn: '/3/0/', n: '9', v: 55, t: -30 }] };

    expect(decodeNetworkServerUplink({ ...uplink, decodedObject }, 'FW-LORA-T1')).toEqual([
      { path: '/3/0/9', timeMs: receivedAt - 30_000, value: 55, unit: null },
    ]);
  });

  it('given a decoded object that is a bare SenML array, when decoded, then it is used too', () => {
    const decodedObject = [
      { bn: '/3/0/9', v: 55 },
      { v: 54, t: -60 },
    ];

    expect(decodeNetworkServerUplink({ ...uplink, decodedObject }, 'WM-200')).toHaveLength(2);
  });

  it('given a decoded object that is not SenML, when decoded, then the model codec is used', () => {
    const decodedObject = { temperature: 21.5, battery: 87 };

    expect(decodeNetworkServerUplink({ ...uplink, decodedObject }, 'FW-LORA-T1')).toHaveLength(3);
  });

  it('given a frame without application data, when decoded, then there are no records (link quality still counts)', () => {
    expect(
      decodeNetworkServerUplink({ ...uplink, fPort: 0, frmPayload: Buffer.alloc(0) }, 'FW-LORA-T1'),
    ).toEqual([]);
    expect(decodeNetworkServerUplink({ ...uplink, frmPayload: Buffer.alloc(0) }, 'WM-200')).toEqual([]);
  });

  it('given a SenML decoded object with a broken record, when decoded, then it is rejected, not silently replaced', () => {
    const decodedObject = { senml: [{ n: '/3/0/9', v: '55' }] };

    expect(
      rejectionOf(() => decodeNetworkServerUplink({ ...uplink, decodedObject }, 'FW-LORA-T1')).reason,
    ).toBe('record 1: v must be a finite number, got "55"');
  });

  it('given the senml-cbor codec, when encoding, then it sends on fPort 1 and refuses non-application ports', () => {
    expect(senmlCborCodec.encode([{ path: '/3/0/9', value: 1 }]).fPort).toBe(1);
    expect(rejectionOf(() => senmlCborCodec.decode(224, Buffer.from([0x80]), receivedAt)).reason).toBe(
      'senml-cbor: fPort 224 is not an application port (1-223)',
    );
  });
});
