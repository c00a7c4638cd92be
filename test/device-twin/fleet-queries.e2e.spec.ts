import { randomUUID } from 'node:crypto';
import { eventually } from '@fleet/testing';
import { DeviceTwinHarness } from '../support/device-twin-harness';

interface Page {
  items: { deviceId: string; firmwareVersion: string; asOf?: { firmwareVersion: string } }[];
  total: number;
  nextCursor: string | null;
}

// Fleet-wide questions against the running service: which devices run what, now and at a past
// time; groups; a bulk configuration by group that leaves one audited change per device.
describe('device-twin: fleet queries, groups and bulk configuration', () => {
  const h = new DeviceTwinHarness();
  const model = `WM-${randomUUID().slice(0, 6)}`;
  const ids: string[] = [];
  let beforeUpgrade: string;

  beforeAll(async () => {
    await h.start();
    const devices = Array.from({ length: 3 }, (_, i) => ({
      serial: `SN-fleet-${i}-${randomUUID().slice(0, 6)}`,
      manufacturer: 'Acme',
      model,
      firmwareVersion: '1.2.0',
      tags: i === 0 ? ['pilot'] : [],
    }));
    const imported = await h.json<{ results: { deviceId: string }[] }>('/devices/bulk', {
      method: 'POST',
      token: h.tokens.operator,
      body: JSON.stringify(devices),
    });
    ids.push(...imported.body.results.map((r) => r.deviceId));
    await eventually(
      async () => ((await find(`model=${model}`)).total === 3 ? true : undefined),
      10_000,
      'the twins',
    );
    await new Promise((r) => setTimeout(r, 50));
    beforeUpgrade = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 50));
    await h.sendTelemetry([{ deviceId: ids[0]!, firmwareVersion: '1.3.0' }]);
    await eventually(
      async () => ((await find(`model=${model}&firmware=1.3.0`)).total === 1 ? true : undefined),
      30_000,
      'the upgrade',
    );
  });
  afterAll(() => h.stop());

  const find = async (query: string) =>
    (await h.json<Page>(`/devices?${query}`, { token: h.tokens.support })).body;

  it('answers which devices ran 1.2.0 now and at an earlier time', async () => {
    expect((await find(`model=${model}&firmware=1.2.0`)).total).toBe(2);
    const then = await find(`model=${model}&firmware=1.2.0&at=${encodeURIComponent(beforeUpgrade)}`);
    expect(then.total).toBe(3);
    expect(then.items.map((i) => i.asOf?.firmwareVersion)).toEqual(['1.2.0', '1.2.0', '1.2.0']);
    const bad = await h.json(`/devices?batteryBelow=20&at=${encodeURIComponent(beforeUpgrade)}`, {
      token: h.tokens.support,
    });
    expect(bad.status).toBe(400);
  });

  it('pages with a cursor and counts', async () => {
    const first = await find(`model=${model}&limit=2&sort=serial`);
    expect(first.items).toHaveLength(2);
    const second = await find(`model=${model}&limit=2&sort=serial&cursor=${first.nextCursor}`);
    expect([...first.items, ...second.items].map((i) => i.deviceId).sort()).toEqual([...ids].sort());
    const counts = await h.json<{ counts: { value: string; count: number }[] }>(
      `/device-counts?by=firmware&model=${model}`,
      {
        token: h.tokens.viewer,
      },
    );
    expect(counts.body.counts).toEqual(
      expect.arrayContaining([
        { value: '1.2.0', count: 2 },
        { value: '1.3.0', count: 1 },
      ]),
    );
  });

  it('configures a dynamic group in bulk: one audited change per device, all with the job id', async () => {
    const group = `old-fw-${randomUUID().slice(0, 6)}`;
    const defined = await h.json('/groups', {
      method: 'POST',
      token: h.tokens.operator,
      body: JSON.stringify({
        name: group,
        kind: 'dynamic',
        query: { model, firmware: '1.2.0' },
        reason: 'upgrade wave 1',
      }),
    });
    expect(defined.status).toBe(201);
    const job = await h.json<{
      jobId: string;
      matched: number;
      changed: number;
      unchanged: number;
      failed: number;
    }>('/devices/bulk-configure', {
      method: 'POST',
      token: h.tokens.operator,
      body: JSON.stringify({
        group,
        desired: { application: { reportingIntervalSeconds: 900 } },
        reason: 'save battery',
      }),
    });
    expect(job.body).toMatchObject({ matched: 2, changed: 2, unchanged: 0, failed: 0 });
    for (const deviceId of ids.slice(1)) {
      const history = await h.json<{
        entries: { type: string; correlationId: string; reason: string; data: { jobId: string } }[];
      }>(`/devices/${deviceId}/history?type=DesiredConfigurationChanged`, { token: h.tokens.support });
      expect(history.body.entries).toEqual([
        expect.objectContaining({
          correlationId: job.body.jobId,
          reason: 'save battery',
          data: expect.objectContaining({ jobId: job.body.jobId }) as unknown,
        }),
      ]);
    }
    const again = await h.json<{ changed: number; unchanged: number }>('/devices/bulk-configure', {
      method: 'POST',
      token: h.tokens.operator,
      body: JSON.stringify({
        group,
        desired: { application: { reportingIntervalSeconds: 900 } },
        reason: 'save battery',
      }),
    });
    expect(again.body).toMatchObject({ changed: 0, unchanged: 2 });
  });
});
