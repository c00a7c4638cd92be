import { z } from 'zod';
import type { CampaignRequest } from '../manage/campaign-service';

const id = z.string().min(1).max(128);
const percent = z.number().min(0).max(100);
const instant = z.iso.datetime({ offset: true });

const targets = z.union([
  z.object({ deviceIds: z.array(id).min(1).max(1_000_000) }).strict(),
  z.object({ group: z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a group name') }).strict(),
  z
    .object({
      query: z
        .object({
          model: z.string().min(1).max(128).optional(),
          tags: z.array(z.string().min(1).max(64)).max(32).optional(),
          region: z.string().min(1).max(16).optional(),
          firmwareVersion: z.string().min(1).max(64).optional(),
        })
        .strict(),
    })
    .strict(),
]);

/** Body of `POST /campaigns` and `POST /campaigns/preview`; defaults are what a careful operator starts with. */
export const campaignBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    artifactId: id,
    targets,
    mode: z.enum(['snapshot', 'continuous']).default('snapshot'),
    rollout: z
      .object({
        canaryCount: z.number().int().min(1).optional(),
        canaryPercent: z.number().gt(0).max(100).optional(),
        waveCount: z.number().int().min(1).max(1000).optional(),
        baseWaveSize: z.number().int().min(1).optional(),
        growthFactor: z.number().min(1).max(100).optional(),
      })
      .strict()
      .default({ waveCount: 1 }),
    successThresholdPercent: percent.default(95),
    errorThreshold: z
      .object({
        percent: percent.default(5),
        minimumFinished: z.number().int().min(1).default(10),
        action: z.enum(['pause', 'abort']).default('pause'),
      })
      .strict()
      .default({ percent: 5, minimumFinished: 10, action: 'pause' }),
    maxConcurrency: z.number().int().min(1).max(1_000_000).default(1000),
    stageTimeoutSeconds: z
      .object({
        download: z
          .number()
          .int()
          .min(1)
          .max(30 * 86_400)
          .default(6 * 3600),
        install: z
          .number()
          .int()
          .min(1)
          .max(7 * 86_400)
          .default(3600),
        verify: z
          .number()
          .int()
          .min(1)
          .max(7 * 86_400)
          .default(6 * 3600),
      })
      .strict()
      .default({ download: 6 * 3600, install: 3600, verify: 6 * 3600 }),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(20).default(3),
        baseDelaySeconds: z.number().int().min(1).max(86_400).default(300),
      })
      .strict()
      .default({ maxAttempts: 3, baseDelaySeconds: 300 }),
    batteryThresholdPercent: percent.default(30),
    maintenanceWindow: z
      .object({
        cron: z.string().min(9).max(100),
        durationMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 1440),
        timeZone: z.string().min(1).max(64).default('UTC'),
      })
      .strict()
      .optional(),
    startAt: instant.optional(),
    endAt: instant.optional(),
    allowDowngrade: z.boolean().default(false),
    downgradeReason: z.string().trim().min(1).max(500).optional(),
    requireApproval: z.boolean().default(true),
    skipIncompatible: z.boolean().default(false),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict();

export type CampaignBody = z.infer<typeof campaignBody>;

export function campaignRequestOf(body: CampaignBody): CampaignRequest {
  const t = body.targets;
  const r = body.rollout;
  return {
    name: body.name,
    artifactId: body.artifactId,
    targets:
      'deviceIds' in t
        ? { kind: 'devices', deviceIds: t.deviceIds }
        : 'group' in t
          ? { kind: 'group', group: t.group }
          : {
              kind: 'query',
              model: t.query.model ?? null,
              tags: t.query.tags ?? [],
              region: t.query.region ?? null,
              firmwareVersion: t.query.firmwareVersion ?? null,
            },
    mode: body.mode,
    rollout: {
      canaryCount: r.canaryCount ?? null,
      canaryPercent: r.canaryPercent ?? null,
      waveCount: r.waveCount ?? null,
      baseWaveSize: r.baseWaveSize ?? null,
      growthFactor: r.growthFactor ?? null,
    },
    successThresholdPercent: body.successThresholdPercent,
    errorThreshold: body.errorThreshold,
    maxConcurrency: body.maxConcurrency,
    stageTimeoutSeconds: body.stageTimeoutSeconds,
    retry: body.retry,
    batteryThresholdPercent: body.batteryThresholdPercent,
    maintenanceWindow: body.maintenanceWindow ?? null,
    startAt: body.startAt ? new Date(body.startAt).toISOString() : null,
    endAt: body.endAt ? new Date(body.endAt).toISOString() : null,
    allowDowngrade: body.allowDowngrade,
    downgradeReason: body.downgradeReason ?? null,
    requireApproval: body.requireApproval,
    skipIncompatible: body.skipIncompatible,
  };
}
