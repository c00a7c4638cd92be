import { randomBytes } from 'node:crypto';
import { uniqueName } from '@fleet/testing';
import { Client } from 'pg';
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
  await h.start({
    CAMPAIGN_TICK_MS: '250',
    // e.g. ORCHESTRATOR_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the orchestrator alone.
    SERVICE_NODE_ARGS: process.env['ORCHESTRATOR_NODE_ARGS'] ?? '',
  });
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
    if (process.env['BENCH_TIMELINE']) log(`campaign: timeline ${await timeline(h, ids, id)}`);
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

/** When the campaign's commands were requested, sent and answered, by operation: seconds since the first request (p10/p50/p90). */
async function timeline(
  h: FuotaCampaignHarness,
  deviceIds: readonly string[],
  campaignId: string,
): Promise<string> {
  const db = new Client({ connectionString: h.dispatch.stack.twin.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(
      `WITH c AS (
         SELECT operation, requested_at, sent_at, updated_at,
                min(requested_at) OVER () AS t0
           FROM dispatch_commands WHERE device_id = ANY($1) AND origin <> 'job')
       SELECT operation, count(*) AS n,
         ${['requested_at', 'sent_at', 'updated_at']
           .map(
             (column) =>
               `array_agg(round(extract(epoch FROM ${column} - t0)::numeric, 1) ORDER BY ${column})
                  FILTER (WHERE ${column} IS NOT NULL) AS ${column}`,
           )
           .join(', ')}
         FROM c GROUP BY operation`,
      [deviceIds],
    );
    const t0 = (
      await db.query<{ t0: Date }>(
        `SELECT min(requested_at) AS t0 FROM dispatch_commands WHERE device_id = ANY($1) AND origin <> 'job'`,
        [deviceIds],
      )
    ).rows[0]!.t0;
    const schemas = await db.query<{ s: string }>(
      `SELECT table_schema AS s FROM information_schema.tables WHERE table_name = 'events'`,
    );
    for (const { s } of schemas.rows) {
      const events = await db.query(
        `WITH e AS (SELECT type, recorded_at FROM ${s}.events WHERE data->>'campaignId' = $1)
         SELECT type, count(*) AS n,
           array_agg(round(extract(epoch FROM recorded_at - $2::timestamptz)::numeric, 1) ORDER BY recorded_at) AS recorded_at
           FROM e GROUP BY type`,
        [campaignId, t0],
      );
      rows.push(
        ...events.rows.map((r: Record<string, unknown>) => ({
          operation: r['type'],
          n: r['n'],
          requested_at: r['recorded_at'],
        })),
      );
    }
    const reports = await db.query(
      `SELECT 'reported-version' AS operation, count(*) AS n,
         array_agg(round(extract(epoch FROM reported_version_at - $2::timestamptz)::numeric, 1) ORDER BY reported_version_at) AS requested_at
         FROM fuota_devices WHERE device_id = ANY($1)`,
      [deviceIds, t0],
    );
    rows.push(...reports.rows);
    const pick = (values: string[] | null) =>
      values ? [0.1, 0.5, 0.9].map((q) => values[Math.floor(q * (values.length - 1))]).join('/') : '-';
    return JSON.stringify(
      rows.map((r: Record<string, unknown>) => ({
        operation: r['operation'],
        n: Number(r['n']),
        requested: pick(r['requested_at'] as string[]),
        sent: pick(r['sent_at'] as string[]),
        done: pick(r['updated_at'] as string[]),
      })),
    );
  } finally {
    await db.end();
  }
}
