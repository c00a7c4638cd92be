import { randomBytes } from 'node:crypto';
import { uniqueName } from '@fleet/testing';
import { FuotaCampaignHarness } from '../../test/support/fuota-campaign-harness';
import { ensureBuilt } from '../twin/service';

/**
 * Campaign throughput: BENCH_CAMPAIGN_DEVICES (1,000) simulated MQTT devices moved through the
 * whole object 5 flow (observe, package URI, Range download of a signed 40 kB package, hash and
 * signature checks, install, reboot, new version reported) by one campaign, through
 * command-dispatcher, with device-twin and ingestion, from dist. Baseline in the same run: a
 * bulk job of one Read per device through the same dispatcher and devices — one command round
 * trip per device, where a campaign needs three commands, a download and two reports.
 */
const DEVICES = Number(process.env['BENCH_CAMPAIGN_DEVICES'] ?? 1_000);
const TARGET_PER_MINUTE = 10_000;

export interface CampaignFigures {
  readonly devices: number;
  readonly devicesPerMinute: number;
  readonly seconds: number;
  readonly succeeded: number;
  readonly baselineJobDevicesPerMinute: number;
  readonly ratioToJob: number;
  readonly target: number;
  readonly met: boolean;
}

export async function runCampaignBenchmark(log: (line: string) => void): Promise<CampaignFigures> {
  ensureBuilt();
  const h = new FuotaCampaignHarness();
  await h.start({ CAMPAIGN_TICK_MS: '250' });
  try {
    log(`campaign: provisioning ${DEVICES} devices and starting them`);
    const prefix = uniqueName('bench-fw');
    const devices = await h.dispatch.stack.provisionRows(
      Array.from({ length: DEVICES }, (_, i) => ({
        serial: `${prefix}-${i}`,
        manufacturer: 'acme',
        model: 'FW-SENSOR-1',
        attributes: { maxInFlightCommands: '4' },
      })),
    );
    const ids = devices.map((d) => d.deviceId);
    await h.dispatch.untilKnown([ids[0]!, ids.at(-1)!], 120_000);
    await h.simulate(devices, {
      telemetryIntervalMs: 600_000,
      firmware: { trustedKeysDir: h.keysDir, installMs: 100 },
    });
    const artifactId = await h.publish(randomBytes(40_000), '2.0.0', ['FW-SENSOR-1']);
    await h.until(
      async () => {
        const { status, body } = await h.api<{ devices: number }>('POST', '/campaigns/preview', {
          name: 'probe',
          artifactId,
          targets: { deviceIds: ids },
        });
        return status === 200 && body.devices === DEVICES ? true : undefined;
      },
      120_000,
      'the orchestrator to know every device',
    );

    const jobStarted = performance.now();
    const job = await h.dispatch.api<{ jobId: string }>('POST', '/jobs', {
      operation: { operation: 'read', path: '/3/0/9' },
      targets: { deviceIds: ids },
      reason: 'bench baseline',
    });
    await h.until(
      async () => {
        const { body } = await h.dispatch.api<{ progress: Record<string, number> }>(
          'GET',
          `/jobs/${job.body.jobId}`,
        );
        return (body.progress['succeeded'] ?? 0) + (body.progress['failed'] ?? 0) >= DEVICES
          ? true
          : undefined;
      },
      1_200_000,
      'the baseline job',
    );
    const jobSeconds = (performance.now() - jobStarted) / 1000;
    const baselineJobDevicesPerMinute = Math.round((DEVICES / jobSeconds) * 60);
    log(
      `campaign: baseline job of one read per device: ${jobSeconds.toFixed(1)} s, ${baselineJobDevicesPerMinute} devices/min`,
    );

    const started = performance.now();
    const created = await h.api('POST', '/campaigns', {
      name: 'bench',
      artifactId,
      targets: { deviceIds: ids },
      requireApproval: false,
      maxConcurrency: DEVICES,
      stageTimeoutSeconds: { download: 1800, install: 1800, verify: 1800 },
      batteryThresholdPercent: 1,
    });
    if (created.status !== 201) throw new Error(`campaign refused: ${JSON.stringify(created.body)}`);
    const id = created.body.campaignId;
    let last = 0;
    const done = await h.until(
      async () => {
        // A poll that loses its keep-alive socket to the server's idle timeout just polls again.
        const c = await h.campaign(id).catch(() => undefined);
        if (!c) return undefined;
        const succeeded = c.counts['succeeded'] ?? 0;
        if (succeeded - last >= DEVICES / 10) {
          last = succeeded;
          log(`campaign: ${succeeded} updated after ${((performance.now() - started) / 1000).toFixed(1)} s`);
        }
        return c.status === 'completed' ? c : undefined;
      },
      1_800_000,
      'the campaign to complete',
    );
    const seconds = (performance.now() - started) / 1000;
    const devicesPerMinute = Math.round((DEVICES / seconds) * 60);
    log(`campaign: ${DEVICES} devices updated in ${seconds.toFixed(1)} s: ${devicesPerMinute} devices/min`);
    return {
      devices: DEVICES,
      devicesPerMinute,
      seconds: Math.round(seconds * 10) / 10,
      succeeded: done.counts['succeeded'] ?? 0,
      baselineJobDevicesPerMinute,
      ratioToJob: Math.round((devicesPerMinute / baselineJobDevicesPerMinute) * 1000) / 1000,
      target: TARGET_PER_MINUTE,
      met: devicesPerMinute >= TARGET_PER_MINUTE,
    };
  } catch (error) {
    log(`campaign: failed; the orchestrator's last output:\n${h.orchestrator.output.join('').slice(-4000)}`);
    throw error;
  } finally {
    await h.stop();
  }
}
