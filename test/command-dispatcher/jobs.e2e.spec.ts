import { DispatcherHarness, type CommandView } from '../support/dispatcher-harness';
import type { ProvisionedDevice } from '../support/ingestion-harness';

interface JobView {
  jobId: string;
  status: string;
  targetCount: number;
  progress: Record<string, number>;
}
interface Outcome {
  seq: number;
  deviceId: string;
  commandId: string | null;
  status: string;
}

const DEVICES = 200;

describe('bulk jobs and the configuration loop through the running stack', () => {
  const harness = new DispatcherHarness();
  let devices: ProvisionedDevice[];

  beforeAll(async () => {
    await harness.start();
    devices = await harness.stack.provision(DEVICES);
    await harness.untilKnown([devices[0]!.deviceId, devices.at(-1)!.deviceId]);
    await harness.simulate(devices, { rebootDelayMs: 200 });
  });
  afterAll(() => harness.stop());

  const outcomes = async (jobId: string): Promise<Outcome[]> => {
    const all: Outcome[] = [];
    for (let after = -1; ;) {
      const { body } = await harness.api<{ items: Outcome[]; next: number | null }>(
        'GET',
        `/jobs/${jobId}/devices?after=${after}&limit=1000`,
      );
      all.push(...body.items);
      if (body.next === null) return all;
      after = body.next;
    }
  };

  it('reboots every device of a job at its configured rate, with a per-device outcome, through a kill -9 of the dispatcher', async () => {
    const ratePerMinute = 3_000; // 50 devices per second: 200 devices take about 4 s
    const started = Date.now();
    const { status, body: job } = await harness.api<JobView>('POST', '/jobs', {
      operation: { operation: 'execute', path: '/3/0/4' },
      targets: { deviceIds: devices.map((d) => d.deviceId) },
      ratePerMinute,
      reason: 'monthly maintenance reboot',
    });
    expect(status).toBe(201);
    expect(job).toMatchObject({ targetCount: DEVICES, status: 'running' });

    // Mid-job: some devices released, not all.
    await harness.until(
      async () => {
        const { body } = await harness.api<JobView>('GET', `/jobs/${job.jobId}`);
        return (body.progress['pending'] ?? 0) < DEVICES * 0.7 ? true : undefined;
      },
      20_000,
      'the job to be under way',
    );
    const pendingBeforeKill = (await harness.api<JobView>('GET', `/jobs/${job.jobId}`)).body.progress[
      'pending'
    ]!;
    expect(pendingBeforeKill).toBeGreaterThan(0);
    await harness.restartDispatcher('SIGKILL');

    const done = await harness.until(
      async () => {
        const { body } = await harness.api<JobView>('GET', `/jobs/${job.jobId}`);
        return body.status === 'completed' ? body : undefined;
      },
      60_000,
      'the job to complete',
    );
    const elapsedMinutes = (Date.now() - started) / 60_000;
    expect(done.progress).toMatchObject({ pending: 0, succeeded: DEVICES });
    // At the configured rate, not faster (one device may go at once at the start).
    expect(DEVICES - 1).toBeLessThanOrEqual(ratePerMinute * elapsedMinutes);

    const perDevice = await outcomes(job.jobId);
    expect(perDevice).toHaveLength(DEVICES);
    expect(new Set(perDevice.map((o) => o.deviceId))).toEqual(new Set(devices.map((d) => d.deviceId)));
    expect(perDevice.every((o) => o.status === 'succeeded' && o.commandId !== null)).toBe(true);
    // No device got two reboot commands, whatever the restart did.
    for (const device of devices.slice(0, 20)) {
      const { body } = await harness.api<{ items: CommandView[] }>(
        'GET',
        `/devices/${device.deviceId}/commands`,
      );
      expect(body.items.filter((c) => c.jobId === job.jobId)).toHaveLength(1);
    }
  });

  it('cancels a slow job: what was not released never goes', async () => {
    const { body: job } = await harness.api<JobView>('POST', '/jobs', {
      operation: { operation: 'read', path: '/3/0/9' },
      targets: { deviceIds: devices.map((d) => d.deviceId) },
      ratePerMinute: 60,
      reason: 'battery survey',
    });
    await new Promise((r) => setTimeout(r, 1_500));
    const { status, body: cancelled } = await harness.api<JobView>('POST', `/jobs/${job.jobId}/cancel`, {
      reason: 'wrong fleet',
    });
    expect(status).toBe(200);
    expect(cancelled.status).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 1_000));
    const { body: after } = await harness.api<JobView>('GET', `/jobs/${job.jobId}`);
    expect(after.progress['pending']).toBeGreaterThan(DEVICES - 10);
  });

  it('refuses a job with unknown devices, naming them', async () => {
    const { status, body } = await harness.api<{ message: string }>('POST', '/jobs', {
      operation: { operation: 'read', path: '/3/0/9' },
      targets: { deviceIds: [devices[0]!.deviceId, 'ghost-1'] },
      reason: 'x',
    });
    expect(status).toBe(400);
    expect(body.message).toBe('unknown devices: ghost-1');
  });

  it('turns a desired-configuration change into a Write whose acknowledgement becomes ConfigurationApplied', async () => {
    const device = devices[0]!;
    const { status } = await harness.api(
      'PATCH',
      `/devices/${device.deviceId}/desired`,
      { desired: { application: { reportingIntervalSeconds: 900 } }, reason: 'save battery' },
      'twin',
    );
    expect(status).toBeLessThan(300);
    const write = await harness.until(
      async () => {
        const { body } = await harness.api<{ items: (CommandView & { configurationKey: string | null })[] }>(
          'GET',
          `/devices/${device.deviceId}/commands`,
        );
        return body.items.find((c) => c.configurationKey === 'application.reportingIntervalSeconds');
      },
      20_000,
      'the configuration write',
    );
    expect(write).toMatchObject({ operation: 'write', path: '/26241/0/2', origin: 'configuration' });
    await harness.commandIn(write.commandId, ['succeeded']);
    const applied = await harness.until(
      async () => {
        const { body } = await harness.api<{
          entries: { type: string; actor: { type: string }; data: { reported?: Record<string, unknown> } }[];
        }>('GET', `/devices/${device.deviceId}/history?type=ConfigurationApplied`, undefined, 'twin');
        return body.entries.find((e) => e.data.reported?.['application.reportingIntervalSeconds'] === 900);
      },
      20_000,
      'ConfigurationApplied in the twin history',
    );
    expect(applied.actor.type).toBe('device');
  });
});
