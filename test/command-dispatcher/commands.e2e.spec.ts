import { uniqueName } from '@fleet/testing';
import type { MqttClient } from 'mqtt';
import { DispatcherHarness, type CommandView } from '../support/dispatcher-harness';
import type { ProvisionedDevice } from '../support/ingestion-harness';

interface ErrorBody {
  message: string;
  details?: { commandId?: string; gate?: string };
}

describe('CRUDEN commands through the running stack', () => {
  const harness = new DispatcherHarness();
  let alwaysOn: ProvisionedDevice[];
  let sleepy: ProvisionedDevice[];

  beforeAll(async () => {
    await harness.start({ ACK_TIMEOUT_MS: '3000' });
    alwaysOn = await harness.stack.provision(3);
    sleepy = await harness.stack.provisionRows(
      [0, 1].map((i) => ({
        serial: uniqueName(`sleepy-${i}`),
        manufacturer: 'acme',
        model: 'FW-SENSOR-1',
        deviceClass: { kind: 'sleepy', wakeIntervalSeconds: 10 },
      })),
    );
    await harness.untilKnown([...alwaysOn, ...sleepy].map((d) => d.deviceId));
  });
  afterAll(() => harness.stop());

  const request = (deviceId: string, body: unknown) =>
    harness.api<CommandView & ErrorBody>('POST', `/devices/${deviceId}/commands`, body);

  it('reads the battery level of an always-on device', async () => {
    const [device] = alwaysOn;
    await harness.simulate([device!]);
    const { status, body } = await request(device!.deviceId, {
      operation: 'read',
      path: '/3/0/9',
      reason: 'support call 4711',
    });
    expect(status).toBe(202);
    const done = await harness.commandIn(body.commandId, ['succeeded', 'failed', 'expired']);
    expect(done).toMatchObject({ status: 'succeeded', result: { code: '2.05' } });
    expect(done.result!.values).toEqual([
      expect.objectContaining({ path: '/3/0/9', value: expect.any(Number) }),
    ]);
    await harness.until(
      async () =>
        harness.commandEvents.filter((e) => e.envelope.stream === `command-${body.commandId}`).length >= 5
          ? true
          : undefined,
      15_000,
      'the command events on Kafka',
    );
    const onKafka = harness.commandEvents.filter((e) => e.envelope.stream === `command-${body.commandId}`);
    expect(onKafka.map((e) => e.envelope.eventType)).toEqual([
      'CommandRequested',
      'CommandQueued',
      'CommandSent',
      'CommandDelivered',
      'CommandSucceeded',
    ]);
    expect(onKafka[0]!.envelope).toMatchObject({
      actor: { type: 'OPERATOR', id: 'oscar' },
      reason: 'support call 4711',
    });
    expect(onKafka.every((e) => e.envelope.correlationId !== '' && e.envelope.causationId !== null)).toBe(
      true,
    );
  });

  it('holds a command for a sleepy device until it next wakes, then delivers it', async () => {
    const [device] = sleepy;
    const { status, body } = await request(device!.deviceId, { operation: 'read', path: '/3/0/9' });
    expect(status).toBe(202);
    expect(body).toMatchObject({ status: 'queued', delivery: 'on-wake' });
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await harness.api<CommandView>('GET', `/commands/${body.commandId}`)).body.status).toBe('queued');
    await harness.simulate([{ ...device!, kind: 'sleepy', wakeIntervalSeconds: 4 }], {
      sleepyListenWindowMs: 2_000,
    });
    const done = await harness.commandIn(body.commandId, ['succeeded', 'failed', 'expired'], 30_000);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('expires a command whose time-to-live passes and says so', async () => {
    const [, device] = sleepy; // never simulated: it never wakes
    const { body } = await request(device!.deviceId, {
      operation: 'read',
      path: '/3/0/9',
      timeToLiveSeconds: 2,
    });
    const expired = await harness.commandIn(body.commandId, ['expired', 'succeeded', 'failed'], 15_000);
    expect(expired).toMatchObject({ status: 'expired', result: { reason: 'time-to-live passed' } });
  });

  describe('safety gates, from what the device reported', () => {
    let client: MqttClient;
    let device: ProvisionedDevice;

    beforeAll(async () => {
      device = alwaysOn[1]!;
      client = await harness.stack.connectDevice(device);
    });

    const report = async (records: object[]) => {
      await client.publishAsync(`fleet/v1/devices/${device.deviceId}/up/telemetry`, JSON.stringify(records), {
        qos: 1,
      });
    };

    it('refuses a reboot while a firmware update is in progress, and records the refusal in the device history', async () => {
      await report([
        { n: '/5/0/3', v: 1 },
        { n: '/3/0/9', v: 80 },
      ]);
      const refused = await harness.until(
        async () => {
          const { status, body } = await request(device.deviceId, {
            operation: 'execute',
            path: '/3/0/4',
            reason: 'stuck',
          });
          return status === 409 ? body : undefined;
        },
        15_000,
        'the reboot to be refused',
      );
      expect(refused.message).toBe('reboot refused: a firmware update is in progress (state 1, downloading)');
      expect(refused.details).toMatchObject({ gate: 'firmware-update' });
      const { body: history } = await harness.api<{ items: CommandView[] }>(
        'GET',
        `/devices/${device.deviceId}/commands`,
      );
      expect(history.items.find((c) => c.commandId === refused.details!.commandId)).toMatchObject({
        status: 'refused',
        result: { gate: 'firmware-update', reason: refused.message },
      });
    });

    it('refuses a firmware command at low battery with the reason', async () => {
      await report([
        { n: '/5/0/3', v: 0 },
        { n: '/3/0/9', v: 9 },
      ]);
      const refused = await harness.until(
        async () => {
          const { status, body } = await request(device.deviceId, {
            operation: 'write',
            path: '/5/0/1',
            value: 'https://fw.example/fw-2.0.0.bin',
          });
          return status === 409 ? body : undefined;
        },
        15_000,
        'the firmware write to be refused',
      );
      expect(refused.message).toBe('battery at 9 % is below the 20 % required for write on /5/0/1');
    });
  });

  describe('bad input', () => {
    it.each([
      [{ operation: 'read', path: '/9999/0/1' }, /9999/],
      [{ operation: 'explode', path: '/3/0/4' }, /operation/],
      [{ operation: 'write', path: '/3/0/9', value: 50 }, /read-only/],
      [{ operation: 'write', path: '/26241/0/2', value: 'often' }, /26241\/0\/2/],
      [{ operation: 'execute', path: '/3/0/4', arguments: 7 }, /arguments/],
    ])('answers 400 naming the problem for %j', async (body, message) => {
      const { status, body: error } = await request(alwaysOn[2]!.deviceId, body);
      expect(status).toBe(400);
      expect(error.message).toMatch(message);
    });

    it('answers 404 for an unknown device and an unknown command', async () => {
      expect((await request('no-such-device', { operation: 'read', path: '/3/0/9' })).status).toBe(404);
      expect((await harness.api('GET', '/commands/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    });
  });
});
