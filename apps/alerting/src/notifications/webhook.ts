import type { AlertEventType } from '../alerts/alert';
import { severityRank, type Severity } from '../rules/rule';

/**
 * Webhooks: who wants which alert events, and how a delivery is retried. A delivery is one alert
 * event to one webhook; it is retried with exponential backoff while the receiver fails and
 * dead-lettered (kept, marked dead, re-deliverable by hand) after the last attempt.
 */
export interface WebhookSubscription {
  readonly webhookId: string;
  readonly url: string;
  /** Only these event types; null: all four. */
  readonly eventTypes: readonly AlertEventType[] | null;
  /** Only alerts at least this severe (at the time of the event). */
  readonly minSeverity: Severity;
  /** Only alerts of these rules; null: every rule. */
  readonly ruleIds: readonly string[] | null;
}

export function wants(
  webhook: WebhookSubscription,
  event: { readonly eventType: AlertEventType; readonly severity: Severity; readonly ruleId: string },
): boolean {
  if (webhook.eventTypes && !webhook.eventTypes.includes(event.eventType)) return false;
  if (webhook.ruleIds && !webhook.ruleIds.includes(event.ruleId)) return false;
  return severityRank(event.severity) >= severityRank(webhook.minSeverity);
}

/** Delay before the attempt after `failedAttempts` failures: doubles from `baseMs`, capped at `maxMs`. */
export function retryDelayMs(failedAttempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
}

export type AttemptOutcome =
  | { readonly status: 'delivered' }
  | { readonly status: 'pending'; readonly nextAttemptAt: number }
  | { readonly status: 'dead' };

/** What becomes of a delivery after its `attempts`-th attempt (1-based). */
export function afterAttempt(
  succeeded: boolean,
  attempts: number,
  now: number,
  policy: { readonly maxAttempts: number; readonly baseMs: number; readonly maxMs: number },
): AttemptOutcome {
  if (succeeded) return { status: 'delivered' };
  if (attempts >= policy.maxAttempts) return { status: 'dead' };
  return { status: 'pending', nextAttemptAt: now + retryDelayMs(attempts, policy.baseMs, policy.maxMs) };
}
