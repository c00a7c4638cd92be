import { hysteresis, type AlertDecision, type AlertSlots } from './alert-slots';
import type { RuleSet } from './rule-set';

/** Finished devices of one campaign, from its events. */
export interface CampaignProgress {
  readonly campaignId: string;
  readonly failed: number;
  readonly succeeded: number;
}

export const campaignSubject = (campaignId: string): string => `campaign:${campaignId}`;

/** Failed share of finished devices, in percent (0 when none finished). */
export function errorRatePercent(p: CampaignProgress): number {
  const finished = p.failed + p.succeeded;
  return finished === 0 ? 0 : (p.failed / finished) * 100;
}

/**
 * Campaign error-rate rules on one campaign's progress: raise once at least `minimumFinished`
 * devices finished and the failed share reached `raiseAtPercent`; clear at or below
 * `clearAtPercent` (a campaign that recovers), or when the campaign ended (`ended`).
 */
export function checkCampaign(
  progress: CampaignProgress,
  ended: boolean,
  at: number,
  rules: RuleSet,
  slots: AlertSlots,
): AlertDecision[] {
  const decisions: AlertDecision[] = [];
  const subject = campaignSubject(progress.campaignId);
  const rate = Math.round(errorRatePercent(progress) * 100) / 100;
  const finished = progress.failed + progress.succeeded;
  for (const rule of rules.campaignErrorRate) {
    const c = rule.definition.condition;
    const slot = slots.get(rule.ruleId, subject);
    const raiseHolds = !ended && finished >= c.minimumFinished && rate >= c.raiseAtPercent;
    const outcome = hysteresis(slot.status, raiseHolds, ended || rate <= c.clearAtPercent);
    const common = { ruleId: rule.ruleId, subject, deviceId: null, observedAt: at, correlationId: null };
    let decision: AlertDecision | null = null;
    if (outcome === 'raise') {
      decision = {
        action: 'raise',
        ...common,
        episode: slot.episode + 1,
        value: rate,
        bound: c.raiseAtPercent,
        message: `campaign ${progress.campaignId}: ${progress.failed} of ${finished} finished devices failed (${rate} %)`,
      };
    } else if (outcome === 'clear' && slot.alertId) {
      decision = {
        action: 'clear',
        ...common,
        alertId: slot.alertId,
        value: rate,
        message: ended ? `campaign ${progress.campaignId} ended` : `error rate back to ${rate} %`,
      };
    } else if (outcome === 'release') {
      decision = { action: 'release', ruleId: rule.ruleId, subject };
    }
    if (decision) {
      slots.apply(decision);
      decisions.push(decision);
    }
  }
  return decisions;
}
