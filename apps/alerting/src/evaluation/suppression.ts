import type { DeviceFacts } from '../devices/device-facts';
import { openWindowEnd, parseWindowAttribute, type CompiledWindow } from '../maintenance/maintenance-window';
import type { RuleDefinition, Scope } from '../rules/rule';
import { inScope } from '../rules/scope';

/** A maintenance window declared through the API for a scope (fleet, group, query). */
export interface ScopedWindow {
  readonly id: string;
  readonly scope: Scope;
  readonly window: CompiledWindow;
  /** Only these rules are kept quiet; null: every rule. */
  readonly ruleIds: readonly string[] | null;
}

export const MAINTENANCE_WINDOW_ATTRIBUTE = 'maintenanceWindow';

const attributeWindows = new Map<string, CompiledWindow | null>();

/** A device's own window from its attribute; a malformed attribute is no window (and is cached). */
export function deviceWindow(facts: DeviceFacts | null): CompiledWindow | null {
  const value = facts?.attributes[MAINTENANCE_WINDOW_ATTRIBUTE];
  if (!value) return null;
  let compiled = attributeWindows.get(value);
  if (compiled === undefined) {
    const parsed = parseWindowAttribute(value);
    compiled = 'problem' in parsed ? null : parsed;
    if (attributeWindows.size > 10_000) attributeWindows.clear();
    attributeWindows.set(value, compiled);
  }
  return compiled;
}

/**
 * Until when (epoch ms) a rule must keep quiet about a device at `at`: the end of an open
 * maintenance window (the device's own or one of its scopes'), or the end of its campaign step;
 * null when nothing suppresses it. Only raising is suppressed: a condition that ends still clears.
 */
export function suppressedUntil(
  rule: { readonly ruleId: string; readonly definition: RuleDefinition },
  facts: DeviceFacts | null,
  windows: readonly ScopedWindow[],
  at: number,
): number | null {
  let until: number | null = null;
  const extend = (end: number | null) => {
    if (end !== null && end > at && (until === null || end > until)) until = end;
  };
  const { suppression } = rule.definition;
  if (suppression.campaigns && facts?.campaign) extend(facts.campaign.until);
  if (suppression.maintenanceWindows) {
    const own = deviceWindow(facts);
    if (own) extend(openWindowEnd(own, at));
    for (const w of windows) {
      if (w.ruleIds && !w.ruleIds.includes(rule.ruleId)) continue;
      if (inScope(w.scope, facts)) extend(openWindowEnd(w.window, at));
    }
  }
  return until;
}
