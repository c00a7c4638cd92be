import { findConfigurationResource } from '@fleet/device-protocol';
import { z } from 'zod';
import { lookupMetric, RATE_LIMITS } from './metrics';
import { EVENT_SOURCES, RATE_METRICS, SEVERITIES, severityRank, type RuleDefinition } from './rule';
import { scopeSchema } from './scope';

/**
 * The rule definition operators send (`POST /rules`, `PUT /rules/:id`), validated whole: every
 * problem (an unknown metric, a bound the metric can never reach, hysteresis the wrong way round,
 * a malformed query) is reported with its path, and nothing is stored unless all is well.
 */
const DAY = 86_400;
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const eventType = z.string().regex(/^[A-Z][A-Za-z0-9]{0,99}$/, 'an event type name such as CommandFailed');

const threshold = z
  .object({
    kind: z.literal('threshold'),
    metric: z.string().trim().min(1).max(64),
    operator: z.enum(['below', 'above']),
    raiseAt: finite,
    clearAt: finite.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const found = lookupMetric(c.metric);
    if ('problem' in found) {
      ctx.addIssue({ code: 'custom', path: ['metric'], message: found.problem });
      return;
    }
    const { spec } = found;
    const range = `${spec.description} is between ${spec.min} and ${spec.max}`;
    for (const key of ['raiseAt', 'clearAt'] as const) {
      const value = c[key];
      if (value !== undefined && (value < spec.min || value > spec.max)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `impossible bound ${value}: ${range}` });
      }
    }
    if (c.operator === 'below' && c.raiseAt <= spec.min) {
      ctx.addIssue({
        code: 'custom',
        path: ['raiseAt'],
        message: `${spec.description} is never below ${c.raiseAt}`,
      });
    }
    if (c.operator === 'above' && c.raiseAt >= spec.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['raiseAt'],
        message: `${spec.description} is never above ${c.raiseAt}`,
      });
    }
    if (c.clearAt !== undefined && c.operator === 'below' && c.clearAt < c.raiseAt) {
      ctx.addIssue({
        code: 'custom',
        path: ['clearAt'],
        message: `a "below" threshold clears at or above where it raises (${c.raiseAt}), got ${c.clearAt}`,
      });
    }
    if (c.clearAt !== undefined && c.operator === 'above' && c.clearAt > c.raiseAt) {
      ctx.addIssue({
        code: 'custom',
        path: ['clearAt'],
        message: `an "above" threshold clears at or below where it raises (${c.raiseAt}), got ${c.clearAt}`,
      });
    }
  })
  .transform((c) => ({ ...c, clearAt: c.clearAt ?? c.raiseAt }));

const silence = z
  .object({ kind: z.literal('silence'), multiplier: finite.min(1).max(1_000).default(3) })
  .strict();

const rate = z
  .object({
    kind: z.literal('rate'),
    metric: z.enum(RATE_METRICS),
    raiseAbove: finite,
    clearAt: finite.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const limits = RATE_LIMITS[c.metric];
    if (c.raiseAbove < limits.min || c.raiseAbove >= limits.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['raiseAbove'],
        message: `impossible bound ${c.raiseAbove}: ${limits.description} is between ${limits.min} and ${limits.max}`,
      });
    }
    if (c.clearAt !== undefined && (c.clearAt < 0 || c.clearAt > c.raiseAbove)) {
      ctx.addIssue({
        code: 'custom',
        path: ['clearAt'],
        message: `a rate clears between 0 and where it raises (${c.raiseAbove}), got ${c.clearAt}`,
      });
    }
  })
  .transform((c) => ({ ...c, clearAt: c.clearAt ?? c.raiseAbove }));

const event = z
  .object({
    kind: z.literal('event'),
    source: z.enum(EVENT_SOURCES),
    eventTypes: z.array(eventType).min(1).max(20),
    where: z
      .record(
        z.string().regex(/^[A-Za-z][A-Za-z0-9_.]{0,63}$/, 'a data field name'),
        z.union([z.string(), finite, z.boolean()]),
      )
      .default({}),
    count: z.number().int().min(1).max(100_000).default(1),
    withinSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * DAY)
      .default(3_600),
    clearOn: z.array(eventType).max(20).default([]),
  })
  .strict();

const drift = z
  .object({
    kind: z.literal('drift'),
    keys: z
      .array(
        z.string().refine((key) => findConfigurationResource(key) !== undefined, {
          message: 'not a configuration key (application.* or radio.*, see docs/device-protocol.md)',
        }),
      )
      .min(1)
      .max(50)
      .nullable()
      .default(null),
    forSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * DAY),
  })
  .strict();

const campaignErrorRate = z
  .object({
    kind: z.literal('campaign-error-rate'),
    raiseAtPercent: finite.gt(0, 'must be above 0').max(100),
    clearAtPercent: finite.min(0).max(100).optional(),
    minimumFinished: z.number().int().min(1).max(10_000_000).default(10),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.clearAtPercent !== undefined && c.clearAtPercent > c.raiseAtPercent) {
      ctx.addIssue({
        code: 'custom',
        path: ['clearAtPercent'],
        message: `must be at or below raiseAtPercent (${c.raiseAtPercent})`,
      });
    }
  })
  .transform((c) => ({ ...c, clearAtPercent: c.clearAtPercent ?? c.raiseAtPercent }));

export const conditionSchema = z.discriminatedUnion('kind', [
  threshold,
  silence,
  rate,
  event,
  drift,
  campaignErrorRate,
]);

export const ruleDefinitionSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2_000).default(''),
    severity: z.enum(SEVERITIES).default('warning'),
    scope: scopeSchema.default({ type: 'fleet' }),
    condition: conditionSchema,
    escalation: z
      .object({
        afterSeconds: z
          .number()
          .int()
          .min(1)
          .max(30 * DAY),
        severity: z.enum(SEVERITIES).default('critical'),
      })
      .strict()
      .nullable()
      .default(null),
    suppression: z
      .object({
        maintenanceWindows: z.boolean().default(true),
        campaigns: z.boolean().default(true),
      })
      .strict()
      .default({ maintenanceWindows: true, campaigns: true }),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.condition.kind === 'campaign-error-rate' && r.scope.type !== 'fleet') {
      ctx.addIssue({
        code: 'custom',
        path: ['scope'],
        message: 'a campaign error rate watches campaigns, not devices: its scope is the fleet',
      });
    }
    if (r.escalation && severityRank(r.escalation.severity) < severityRank(r.severity)) {
      ctx.addIssue({
        code: 'custom',
        path: ['escalation', 'severity'],
        message: `escalating lowers nothing: ${r.escalation.severity} is below the rule's ${r.severity}`,
      });
    }
  });

/** Compile-time check that what the schema produces is a {@link RuleDefinition}. */
export type ParsedRuleDefinition = z.output<typeof ruleDefinitionSchema>;
const _isDefinition = (parsed: ParsedRuleDefinition): RuleDefinition => parsed;
void _isDefinition;
