import { randomUUID } from 'node:crypto';
import { DEFAULT_TENANT, type Actor, type CommandMetadata } from '@fleet/core';

/** Metadata of a command arriving at the edge: time and ids are fixed here, never in the domain. */
export function commandMetadata(input: {
  actor: Actor;
  reason: string | null;
  correlationId?: string | undefined;
  causationId?: string | null;
  tenant?: string;
  now?: Date;
}): CommandMetadata {
  const commandId = randomUUID();
  const correlationId =
    input.correlationId && /^[\w.:-]{1,128}$/.test(input.correlationId) ? input.correlationId : commandId;
  return {
    commandId,
    actor: input.actor,
    reason: input.reason,
    occurredAt: (input.now ?? new Date()).toISOString(),
    correlationId,
    causationId: input.causationId ?? null,
    tenant: input.tenant ?? DEFAULT_TENANT,
  };
}
