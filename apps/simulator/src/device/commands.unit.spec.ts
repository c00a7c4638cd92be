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

describe('object 5 commands of a device that updates over HTTP', () => {
  const URI = 'http://127.0.0.1:8080/fw-2.0.0.bin?token=abc';
  const updatable = (batterySags = false) => {
    const device = model();
    device.enableFirmwareUpdate({ minBatteryPercent: 10, batterySags: () => batterySags });
    return device;
  };

  it('given a device without object 5 (LoRaWAN), when /5/0/1 is written, then failed 4.05 as before', () => {
    expect(roundTrip({ id: 'f-0', op: 'write', path: '/5/0/1', value: URI }).response).toMatchObject({
      code: '4.05',
    });
  });

  it('given Idle, when /5/0 is read, then state 0 and result 0 (and an empty Package URI)', () => {
    const { response } = roundTrip({ id: 'f-1', op: 'read', path: '/5/0' }, updatable());
    expect(response.values.map(({ path, value }) => [path, value])).toEqual([
      ['/5/0/1', ''],
      ['/5/0/3', 0],
      ['/5/0/5', 0],
    ]);
  });

  it('given Idle, when the Package URI is written, then 2.04 and the download starts', () => {
    const device = updatable();
    const { response, effect } = roundTrip({ id: 'f-2', op: 'write', path: '/5/0/1', value: URI }, device);
    expect(response).toMatchObject({ status: 'succeeded', code: '2.04' });
    expect(effect).toEqual({
      kind: 'firmware',
      events: [{ type: 'DownloadStarted', uri: URI, packageName: 'fw-2.0.0.bin' }],
    });
    expect(device.firmwareUpdate.state).toBe(1);
  });

  it('given a Package URI that is not a string, when written, then failed 4.00 naming the problem', () => {
    const { response } = roundTrip({ id: 'f-3', op: 'write', path: '/5/0/1', value: 7 }, updatable());
    expect(response).toMatchObject({ status: 'failed', code: '4.00' });
  });

  it('given Idle, when Update is executed, then failed 4.05: not downloaded', () => {
    const { response } = roundTrip({ id: 'f-4', op: 'execute', path: '/5/0/2' }, updatable());
    expect(response).toMatchObject({
      status: 'failed',
      code: '4.05',
      reason: 'the firmware package is not downloaded (state 0, idle)',
    });
  });

  const downloadedOn = (device: DeviceModel) => {
    device.handleCommand({ id: 'w', op: 'write', path: '/5/0/1', value: URI }, now);
    device.updateFirmware({ kind: 'CompleteDownload', uri: URI, packageVersion: '2.0.0' });
    return device;
  };

  it('given a battery that sags below the minimum, when Update is executed, then failed 5.00 with the reason and result 8', () => {
    const device = downloadedOn(updatable(true));
    const { response, effect } = roundTrip({ id: 'f-5', op: 'execute', path: '/5/0/2' }, device);
    expect(response).toMatchObject({ status: 'failed', code: '5.00' });
    expect(response.reason).toMatch(/^battery at \d+ % is below the 10 % needed to install firmware$/);
    expect(effect).toMatchObject({ kind: 'firmware', events: [{ type: 'UpdateRefused' }] });
    expect(device.firmwareUpdate).toMatchObject({ state: 2, result: 8 });
  });

  it('given Downloaded, when Update is executed and the installation completes, then /3/0/3 is the new version', () => {
    const device = downloadedOn(updatable());
    expect(roundTrip({ id: 'f-6', op: 'execute', path: '/5/0/2' }, device).response.code).toBe('2.04');
    device.updateFirmware({ kind: 'CompleteUpdate' });
    expect(device.firmwareVersion).toBe('2.0.0');
    expect(device.firmwareReport()).toEqual([
      { path: '/5/0/3', value: 0 },
      { path: '/5/0/5', value: 1 },
      { path: '/5/0/7', value: 'fw-2.0.0.bin' },
      { path: '/5/0/8', value: '2.0.0' },
      { path: '/3/0/3', value: '2.0.0' },
    ]);
  });

  it('given an observation of /5/0, when object 5 changes, then observers are notified at once (pmin permitting)', () => {
    const device = updatable();
    roundTrip({ id: 'obs-5', op: 'observe', path: '/5/0' }, device);
    roundTrip({ id: 'obs-3', op: 'observe', path: '/3/0/9' }, device);
    device.handleCommand({ id: 'f-7', op: 'write', path: '/5/0/1', value: URI }, now);
    const notifications = device.firmwareNotifications(now + 1);
    expect(notifications.map((n) => n.observation)).toEqual(['obs-5']);
    expect(notifications[0]!.values).toContainEqual({ path: '/5/0/3', value: 1 });
  });

  it('given a download in progress, when the device reboots, then result 4 and observations are forgotten', () => {
    const device = updatable();
    roundTrip({ id: 'obs-6', op: 'observe', path: '/5/0' }, device);
    device.handleCommand({ id: 'f-8', op: 'write', path: '/5/0/1', value: URI }, now);
    expect(device.reboot()).toEqual([
      { type: 'DownloadFailed', result: 4, reason: 'the device restarted during the download' },
    ]);
    expect(device.firmwareNotifications(now + 1)).toEqual([]);
  });
});
