import { decodeCommandResponse, type DeviceCommand } from '@fleet/device-protocol';
import { answerCommand, encodeAck, REBOOT_PATH } from './commands';
import { DeviceModel } from './device-model';
import { seededRandom } from './random';

const now = Date.parse('2026-05-01T12:00:00Z');
const model = () =>
  new DeviceModel({
    firmwareVersion: '1.4.2',
    profile: 'ip',
    random: seededRandom(1),
    configuration: { 'application.reportingIntervalSeconds': 60 },
  });
/** Encodes the answer and decodes it as ingestion would: the simulator must speak the protocol. */
const roundTrip = (command: DeviceCommand, device = model(), format: 'json' | 'cbor' = 'json') => {
  const answer = device.handleCommand(command, now);
  if (!answer) throw new Error('no answer');
  return { response: decodeCommandResponse(encodeAck(answer.ack, format), { now }), effect: answer.effect };
};

describe('command answers', () => {
  it.each(['json', 'cbor'] as const)(
    'given read of the battery, when answered in %s, then 2.05 with its value',
    (format) => {
      const device = model();
      const { response } = roundTrip({ id: 'c-1', op: 'read', path: '/3/0/9' }, device, format);
      expect(response).toMatchObject({ id: 'c-1', status: 'succeeded', code: '2.05' });
      expect(response.values).toEqual([
        { path: '/3/0/9', value: device.readings.batteryPercent, unit: '%', timeMs: null },
      ]);
    },
  );

  it('given read of an instance, when answered, then every resource under it is returned', () => {
    const paths = roundTrip({ id: 'c-2', op: 'read', path: '/3/0' }).response.values.map((v) => v.path);
    expect(paths).toEqual(['/3/0/3', '/3/0/9']);
  });

  it.each([
    ['read', { op: 'read', path: '/9999/0/1' }],
    ['observe', { op: 'observe', path: '/9999/0/1' }],
    ['execute', { op: 'execute', path: '/9999/0/1' }],
    ['write', { op: 'write', path: '/9999/0/1', value: 1 }],
  ] as const)('given %s of an unknown path, when answered, then failed 4.04', (_op, command) => {
    expect(roundTrip({ id: 'c-3', ...command }).response).toMatchObject({
      status: 'failed',
      code: '4.04',
    });
  });

  it('given a write of a configuration resource, when answered, then 2.04 and the device keeps the value', () => {
    const device = model();
    const { response, effect } = roundTrip(
      { id: 'c-4', op: 'write', path: '/26241/0/2', value: 600 },
      device,
    );
    expect(response).toMatchObject({ status: 'succeeded', code: '2.04' });
    expect(effect).toEqual({ kind: 'configure', key: 'application.reportingIntervalSeconds', value: 600 });
    expect(device.configuration['application.reportingIntervalSeconds']).toBe(600);
  });

  it.each([
    ['a read-only resource', '/3/0/9', 50, '4.05'],
    ['a value out of range', '/26241/0/3', 'sometimes', '4.00'],
  ])('given a write of %s, when answered, then failed %s', (_what, path, value, code) => {
    expect(roundTrip({ id: 'c-5', op: 'write', path, value }).response).toMatchObject({
      status: 'failed',
      code,
    });
  });

  it('given execute of Reboot, when answered, then 2.04 and a reboot', () => {
    const { response, effect } = roundTrip({ id: 'c-6', op: 'execute', path: REBOOT_PATH, args: '' });
    expect(response).toMatchObject({ status: 'succeeded', code: '2.04' });
    expect(effect).toEqual({ kind: 'reboot' });
  });

  it('given execute of a readable resource, when answered, then failed 4.05', () => {
    expect(roundTrip({ id: 'c-7', op: 'execute', path: '/3/0/9' }).response).toMatchObject({ code: '4.05' });
  });

  it('given observe with pmin, when uplinks follow, then notifications carry the token at most every pmin', () => {
    const device = model();
    const observe = { id: 'obs-1', op: 'observe', path: '/3/0/9', attributes: { pmin: 60 } } as const;
    expect(roundTrip(observe, device).response).toMatchObject({ status: 'succeeded', code: '2.05' });
    expect(device.dueNotifications(now + 30_000)).toEqual([]);
    const [notification] = device.dueNotifications(now + 60_000);
    const decoded = decodeCommandResponse(encodeAck(notification!, 'cbor'), { now });
    expect(decoded).toMatchObject({ id: 'obs-1', observation: 'obs-1', code: '2.05' });
    expect(decoded.values.map((v) => v.path)).toEqual(['/3/0/9']);
    expect(device.dueNotifications(now + 90_000)).toEqual([]);
  });

  it('given cancel-observe, when answered, then notifications stop', () => {
    const device = model();
    roundTrip({ id: 'obs-2', op: 'observe', path: '/4/0/2' }, device);
    roundTrip({ id: 'c-8', op: 'cancel-observe', path: '/4/0/2' }, device);
    expect(device.dueNotifications(now + 1)).toEqual([]);
  });

  it('given an expired command, when received, then it is ignored', () => {
    const expired = { id: 'c-9', op: 'read', path: '/3/0/9', expiresAt: '2026-05-01T11:59:59Z' } as const;
    expect(model().handleCommand(expired, now)).toBeUndefined();
  });

  it('given create, when answered, then failed 4.05 (not supported)', () => {
    expect(answerCommand({ id: 'c-10', op: 'create', path: '/3303' }, []).ack).toMatchObject({
      code: '4.05',
    });
  });
});
