import { z } from 'zod';
import type { OperationRequest } from './command-events';

const scalar = z.union([z.string().max(1024), z.number().finite(), z.boolean()]);

/** Body of `POST /devices/:id/commands` (and the operation of `POST /jobs`). */
export const operationBody = z
  .object({
    operation: z.enum([
      'read',
      'write',
      'create',
      'delete',
      'execute',
      'discover',
      'observe',
      'cancel-observe',
    ]),
    path: z.string().min(2).max(32),
    value: scalar.optional(),
    arguments: z.string().max(255).optional(),
    attributes: z
      .object({
        pmin: z.number().int().min(0).optional(),
        pmax: z.number().int().min(0).optional(),
        gt: z.number().optional(),
        lt: z.number().optional(),
        st: z.number().optional(),
      })
      .strict()
      .optional(),
    instanceValues: z.record(z.string(), scalar).optional(),
  })
  .strict();

export const commandBody = operationBody
  .extend({
    /** Time-to-live: the command expires unless it finished within this many seconds. */
    timeToLiveSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 86_400)
      .optional(),
    maxAttempts: z.number().int().min(1).max(20).optional(),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict();

export type CommandBody = z.infer<typeof commandBody>;

export function operationRequestOf(body: z.infer<typeof operationBody>): OperationRequest {
  return {
    operation: body.operation,
    path: body.path,
    value: body.value ?? null,
    arguments: body.arguments ?? null,
    attributes: body.attributes ?? null,
    instanceValues: body.instanceValues ?? null,
  };
}
