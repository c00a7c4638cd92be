import type { DeviceAccess } from './device-access';
import { parseBrokerLoginRefusal, refusalFromBrokerLog } from './authentication-refusals';

const receivedAt = Date.parse('2026-12-02T10:00:05Z');
const known: DeviceAccess = {
  deviceId: 'meter-7',
  tenant: 'acme',
  status: 'active',
  model: 'FW-SENSOR-1',
  devEui: null,
  revision: 3,
};
const find = (id: string) => (id === known.deviceId ? known : undefined);
const context = { receivedAt, newId: () => 'refusal-1' };

describe('refused MQTT logins in the broker log', () => {
  it('given the line of recent Mosquitto (2.0.22), when parsed, then it names the client, its address and the time', () => {
    expect(
      parseBrokerLoginRefusal('1796227624: Client meter-7 [203.0.113.7:51234] disconnected: not authorised.'),
    ).toEqual({ clientId: 'meter-7', remoteAddress: '203.0.113.7:51234', loggedAt: 1_796_227_624_000 });
  });

  it('given an IPv6 address and a client id with spaces, when parsed, then both are kept whole', () => {
    expect(
      parseBrokerLoginRefusal('1796227624: Client my meter [::1:40000] disconnected: not authorised.'),
    ).toMatchObject({ clientId: 'my meter', remoteAddress: '::1:40000' });
  });

  it('given the line of Mosquitto 2.0.11 (client unknown), when parsed, then it names no client', () => {
    expect(parseBrokerLoginRefusal('1796227624: Client <unknown> disconnected, not authorised.')).toEqual({
      clientId: null,
      remoteAddress: null,
      loggedAt: 1_796_227_624_000,
    });
  });

  it('given a custom timestamp format or none, when parsed, then the time is read or left to the receiver', () => {
    expect(
      parseBrokerLoginRefusal('2026-12-02T10:00:04Z: Client meter-7 disconnected, not authorised.')?.loggedAt,
    ).toBe(Date.parse('2026-12-02T10:00:04Z'));
    expect(parseBrokerLoginRefusal('Client meter-7 [10.0.0.1:1] disconnected: not authorised.')).toEqual({
      clientId: 'meter-7',
      remoteAddress: '10.0.0.1:1',
      loggedAt: null,
    });
  });

  it.each([
    '1796227624: New connection from 127.0.0.1:44722 on port 1883.',
    '1796227624: Client meter-7 disconnected.',
    '1796227624: Client meter-7 closed its connection.',
    "1796227624: New client connected from 127.0.0.1:44708 as meter-7 (p2, c1, k60, u'meter-7').",
    '',
  ])('given another line (%j), when parsed, then it is no refusal', (line) => {
    expect(parseBrokerLoginRefusal(line)).toBeUndefined();
  });

  it('given a refused login of a known device, when turned into a refusal, then it is attributed to the device', () => {
    const line = '1796227624: Client meter-7 [203.0.113.7:51234] disconnected: not authorised.';

    expect(refusalFromBrokerLog(line, find, context)).toEqual({
      refusalId: 'refusal-1',
      eventType: 'DeviceAuthenticationRefused',
      deviceId: 'meter-7',
      transport: 'mqtt',
      observedBy: 'mosquitto',
      reason: 'bad-credentials',
      clientId: 'meter-7',
      devEui: null,
      remoteAddress: '203.0.113.7:51234',
      detail: line,
      observedAt: 1_796_227_624_000,
      receivedAt,
    });
  });

  it('given a refused login of a client id no device has, when turned into a refusal, then it names no device', () => {
    const refusal = refusalFromBrokerLog(
      '1796227624: Client scanner-1 [198.51.100.9:1] disconnected: not authorised.',
      find,
      context,
    );

    expect(refusal).toMatchObject({ deviceId: null, clientId: 'scanner-1' });
  });

  it('given an unattributed line without timestamp, when turned into a refusal, then it is dated by its receipt', () => {
    expect(
      refusalFromBrokerLog('Client <unknown> disconnected, not authorised.', find, context),
    ).toMatchObject({ deviceId: null, clientId: null, observedAt: receivedAt });
  });
});
