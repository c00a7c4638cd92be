import { ValidationError } from '@fleet/core';
import { parseBody } from '@fleet/observability';
import { z } from 'zod';
import type { RuleDefinition } from '../rule';
import { ruleDefinitionSchema } from '../rule-definition';

export const reasonSchema = z.string().trim().min(1).max(500);

/** `{...definition, reason?}` → the validated definition and the reason; 400 naming every problem. */
export function parseRuleRequest(body: unknown): { definition: RuleDefinition; reason: string | null } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('request body is invalid: (root): expected a JSON object', {
      issues: [{ path: '(root)', message: 'expected a JSON object' }],
    });
  }
  const { reason, ruleId: _ruleId, ...definition } = body as Record<string, unknown>;
  const parsedReason =
    reason === undefined ? null : parseBody(z.object({ reason: reasonSchema }), { reason }).reason;
  return { definition: parseBody(ruleDefinitionSchema, definition), reason: parsedReason };
}

/** A rule id chosen by the client (so that creating a rule can be retried), or none. */
export function parseRuleId(body: unknown): string | undefined {
  const value = (body as Record<string, unknown> | null)?.['ruleId'];
  if (value === undefined) return undefined;
  return parseBody(
    z.object({ ruleId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and -') }),
    {
      ruleId: value,
    },
  ).ruleId;
}

export const reasonBody = (required: boolean) =>
  z.object({ reason: required ? reasonSchema : reasonSchema.optional() }).strict();
