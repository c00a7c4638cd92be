import { ValidationError } from '@fleet/core';
import { Cron } from 'croner';
import type { MaintenanceWindow } from './campaign-events';

const MINUTE = 60_000;

function cronOf(window: MaintenanceWindow): Cron {
  try {
    return new Cron(window.cron, { timezone: window.timeZone, paused: true });
  } catch (error) {
    throw new ValidationError(`maintenance window: ${(error as Error).message}`);
  }
}

/** Whether `at` falls inside an occurrence of the window (an occurrence opens at a cron time and lasts its duration). */
export function insideWindow(window: MaintenanceWindow | null, at: number): boolean {
  if (!window) return true;
  const opened = cronOf(window).previousRuns(1, new Date(at + 1))[0];
  return opened !== undefined && at < opened.getTime() + window.durationMinutes * MINUTE;
}

/** When the window next opens at or after `from`; undefined if it never does before `until`. */
export function nextOpening(window: MaintenanceWindow, from: number, until: number): number | undefined {
  if (insideWindow(window, from)) return from;
  const next = cronOf(window).nextRun(new Date(from));
  return next && next.getTime() < until ? next.getTime() : undefined;
}

/**
 * Refuses a window that is malformed or never opens between the campaign's start and end (or in
 * the next year when it has no end): such a campaign could never update anyone.
 */
export function checkWindow(window: MaintenanceWindow, startAt: number, endAt: number | null): void {
  if (!Number.isInteger(window.durationMinutes) || window.durationMinutes < 1) {
    throw new ValidationError('maintenance window: durationMinutes must be a positive integer');
  }
  const until = endAt ?? startAt + 366 * 24 * 60 * MINUTE;
  if (nextOpening(window, startAt, until) === undefined) {
    throw new ValidationError(
      `maintenance window "${window.cron}" (${window.timeZone}) never opens between ${new Date(startAt).toISOString()} and ${new Date(until).toISOString()}`,
    );
  }
}
