import { randomBytes } from 'node:crypto';
import type { ProvisionedDevice } from '../support/ingestion-harness';
import { FuotaCampaignHarness, type CampaignBody } from '../support/fuota-campaign-harness';

const MODEL = 'FW-SENSOR-1';
const FROM = '1.4.2';
const TO = '2.0.0';

interface PreviewBody {
  devices: number;
  waves: number[];
  downgrades: { deviceId: string }[];
  incompatible: { deviceId: string; reason: string }[];
}

interface HistoryItem {
  type: string;
  data: Record<string, unknown>;
  metadata: { actor: { type: string; id: string }; reason: string | null; correlationId: string };
}

// fuota-orchestrator driving simulated devices through LwM2M object 5, via command-dispatcher:
// waves, the error threshold pausing the campaign, four-eyes approval, gates, anti-rollback, and a
// kill -9 of the orchestrator in the middle of a wave.
describe('firmware campaigns', () => {
  const h = new FuotaCampaignHarness();
  const image = randomBytes(40_000);
  let devices: ProvisionedDevice[];
  let fleet: string[];
  let artifactId: string;

  const campaignBody = (extra: Record<string, unknown> = {}) => ({
    name: 'sensors to 2.0.0',
    artifactId,
    targets: { deviceIds: fleet },
    rollout: { waveCount: 3 },
    successThresholdPercent: 100,
    errorThreshold: { percent: 5, minimumFinished: 5, action: 'pause' },
    stageTimeoutSeconds: { download: 60, install: 60, verify: 60 },
    retry: { maxAttempts: 2, baseDelaySeconds: 1 },
    batteryThresholdPercent: 5,
    ...extra,
  });

  beforeAll(async () => {
    await h.start();
    devices = await h.dispatch.stack.provision(32);
    fleet = devices
      .slice(0, 30)
      .map((d) => d.deviceId)
      .sort();
    await h.dispatch.untilKnown(devices.map((d) => d.deviceId));
    artifactId = await h.publish(image, TO, [MODEL]);
    // The first wave's first device fails every install until the simulator is "fixed".
    await h.simulate(devices, { firmware: { failures: { install: { deviceIds: [fleet[0]!] } } } });
  }, 180_000);

  afterAll(() => h.stop());

  it('refuses what cannot be rolled out, saying which devices and why', async () => {
    const older = await h.publish(randomBytes(1000), '1.0.0', [MODEL]);
    const downgrade = await h.until(
      async () => {
        const { status, body } = await h.api<PreviewBody>('POST', '/campaigns/preview', {
          ...campaignBody(),
          artifactId: older,
        });
        return status === 200 && body.downgrades.length === 30 ? body : undefined;
      },
      60_000,
      'the orchestrator to learn the devices run 1.4.2',
    );
    expect(downgrade.devices).toBe(0);
    const refused = await h.api('POST', '/campaigns', { ...campaignBody(), artifactId: older });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('a downgrade needs allowDowngrade and a downgradeReason');

    const otherModel = await h.publish(randomBytes(1000), '3.0.0', ['WM-200']);
    const incompatible = await h.api('POST', '/campaigns', { ...campaignBody(), artifactId: otherModel });
    expect(incompatible.status).toBe(400);
    expect(incompatible.body.details?.['incompatible']).toEqual(
      expect.arrayContaining([{ deviceId: fleet[0], reason: `model ${MODEL} is not one of WM-200` }]),
    );

    const unknown = await h.api('POST', '/campaigns', {
      ...campaignBody(),
      artifactId: '6f1c2e1a-0000-4000-8000-000000000000',
    });
    expect(unknown.body.message).toMatch(/artifact .* does not exist/);
    const never = await h.api('POST', '/campaigns', {
      ...campaignBody(),
      maintenanceWindow: { cron: '0 0 30 2 *', durationMinutes: 30, timeZone: 'UTC' },
    });
    expect(never.body.message).toContain('never opens');
  }, 120_000);

  it('pauses itself at the error threshold, updates no device of later waves, and finishes after the fix and a kill -9', async () => {
    const preview = await h.api<PreviewBody>('POST', '/campaigns/preview', campaignBody());
    expect(preview.body).toMatchObject({ devices: 30, waves: [10, 10, 10], downgrades: [] });

    const created = await h.api('POST', '/campaigns', campaignBody());
    expect(created.status).toBe(201);
    const id = created.body.campaignId;
    expect(created.body.status).toBe('awaiting-approval');
    const selfApproval = await h.api('POST', `/campaigns/${id}/approve`, {});
    expect(selfApproval.body.message).toContain('four-eyes');
    expect((await h.api('POST', `/campaigns/${id}/approve`, {}, 'approver')).status).toBe(200);

    const paused = await h.until(
      async () => {
        const c = await h.campaign(id);
        return c.status === 'paused' ? c : undefined;
      },
      120_000,
      'the campaign to pause itself',
    );
    expect(paused.pauseReason).toMatch(/error threshold reached in wave 1: 1 of \d+ finished devices failed/);
    expect(paused.countsByWave[1]).toMatchObject({ pending: 10 });
    expect(paused.countsByWave[2]).toMatchObject({ pending: 10 });
    const failed = (await h.devices(id, '&wave=0')).find((d) => d.deviceId === fleet[0])!;
    expect(failed.lastError).toContain('update result 8');
    const stillOld = await h.dispatch.api<{ firmwareVersion: string }>(
      'GET',
      `/devices/${fleet[0]}`,
      undefined,
      'twin',
    );
    expect(stillOld.body.firmwareVersion).toBe(FROM);
    // Nothing was asked of a later wave's device.
    const later = await h.dispatch.api<{ items: unknown[] }>('GET', `/devices/${fleet[25]}/commands`);
    expect(later.body.items).toEqual([]);

    // A paused campaign lets devices already mid-update finish; swapping the simulator under them
    // would interrupt their updates (they would time out and count as failures).
    await h.until(
      async () => {
        const wave = (await h.campaign(id)).countsByWave[0]!;
        return wave['downloading']! + wave['downloaded']! + wave['updating']! === 0 ? true : undefined;
      },
      120_000,
      'the first wave to have no device mid-update',
    );
    // The fix: the simulator runs again without the injected failure; the operator resumes.
    await h.dispatch.stopSimulators();
    await h.simulate(devices);
    expect((await h.api('POST', `/campaigns/${id}/resume`, { reason: 'install bug fixed' })).status).toBe(
      200,
    );
    await h
      .until(
        async () => ((await h.campaign(id)).countsByWave[1]!['succeeded']! >= 3 ? true : undefined),
        120_000,
        'the second wave to be under way',
      )
      .catch(async (error: unknown) => {
        console.log(
          JSON.stringify(await h.campaign(id)),
          JSON.stringify((await h.devices(id, '&wave=0')).filter((d) => d.status !== 'succeeded')),
        );
        console.log(h.orchestrator.output.join('').slice(-5000));
        throw error;
      });
    await h.restartOrchestrator();

    const done = await h
      .until(
        async () => {
          const c = await h.campaign(id);
          return c.status === 'completed' ? c : undefined;
        },
        180_000,
        'the campaign to complete',
      )
      .catch(async (error: unknown) => {
        // What was left, for whoever reads the failure.
        const c = await h.campaign(id);
        console.log(c.status, c.pauseReason, JSON.stringify(c.countsByWave));
        console.log(JSON.stringify((await h.devices(id)).filter((d) => d.status !== 'succeeded')));
        console.log(h.orchestrator.output.join('').slice(-6000));
        throw error;
      });
    expect(done.counts).toMatchObject({ succeeded: 30, failed: 0 });
    const twin = await h.dispatch.api<{ firmwareVersion: string }>(
      'GET',
      `/devices/${fleet[29]}`,
      undefined,
      'twin',
    );
    expect(twin.body.firmwareVersion).toBe(TO);

    const history = (await h.api<HistoryItem[]>('GET', `/campaigns/${id}/history`, undefined, 'viewer')).body;
    const types = history.map((e) => e.type);
    expect(types.filter((t) => t === 'WaveStarted')).toHaveLength(3);
    expect(types.indexOf('CampaignPaused')).toBeLessThan(types.indexOf('CampaignResumed'));
    expect(history.find((e) => e.type === 'CampaignApproved')?.metadata.actor.id).toBe('bruno');
    expect(history.find((e) => e.type === 'CampaignResumed')?.metadata).toMatchObject({
      actor: { id: 'olivia' },
      reason: 'install bug fixed',
    });
    expect(history.every((e) => e.metadata.correlationId)).toBe(true);
    expect(types.at(-1)).toBe('CampaignCompleted');
  }, 600_000);

  it('keeps devices below the battery threshold waiting, with that reason', async () => {
    const spare = devices.slice(30).map((d) => d.deviceId);
    const created = await h.api<CampaignBody>('POST', '/campaigns', {
      ...campaignBody(),
      targets: { deviceIds: spare },
      rollout: { waveCount: 1 },
      batteryThresholdPercent: 100,
      requireApproval: false,
    });
    expect(created.status).toBe(201);
    const gated = await h.until(
      async () => {
        const list = await h.devices(created.body.campaignId);
        return list.every((d) => d.status === 'gated') ? list : undefined;
      },
      30_000,
      'the devices to be gated',
    );
    for (const d of gated) {
      expect(d.gate).toEqual({
        gate: 'battery',
        reason: expect.stringMatching(/below the campaign's threshold of 100 %/),
      });
    }
    expect((await h.api('POST', `/campaigns/${created.body.campaignId}/cancel`, {})).body.status).toBe(
      'cancelled',
    );
  }, 60_000);

  it('picks up devices that start to match a continuous campaign', async () => {
    const [first, second] = devices.slice(30).map((d) => d.deviceId);
    const tag = (deviceId: string) =>
      h.dispatch.api(
        'PATCH',
        `/devices/${deviceId}/labels`,
        { tags: ['late-joiners'], reason: 'e2e' },
        'twin',
      );
    const created = await h.api<CampaignBody>('POST', '/campaigns', {
      ...campaignBody(),
      targets: { query: { tags: ['late-joiners'] } },
      rollout: { waveCount: 1 },
      mode: 'continuous',
      requireApproval: false,
    });
    expect(created.status).toBe(201);
    const id = created.body.campaignId;
    expect(created.body.counts).toMatchObject({ pending: 0, succeeded: 0 });
    expect((await tag(first!)).status).toBe(200);
    await h.until(
      async () => ((await h.campaign(id)).counts['succeeded'] === 1 ? true : undefined),
      60_000,
      'the first joiner',
    );
    expect((await tag(second!)).status).toBe(200);
    const updated = await h.until(
      async () => {
        const list = await h.devices(id);
        return list.length === 2 && list.every((d) => d.status === 'succeeded') ? list : undefined;
      },
      60_000,
      'the second joiner',
    );
    expect(updated.map((d) => d.deviceId).sort()).toEqual([first, second].sort());
    // Continuous campaigns stay open for more devices until cancelled or their end time.
    expect((await h.campaign(id)).status).toBe('running');
  }, 150_000);
});
