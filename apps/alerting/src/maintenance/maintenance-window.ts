/**
 * Maintenance windows: a cron expression (minute hour day-of-month month day-of-week, in a time
 * zone) says when a window opens, a duration how long it stays open. Pure: time comes in.
 */
export interface MaintenanceWindowSpec {
  readonly cron: string;
  readonly durationMinutes: number;
  /** IANA time zone name, e.g. Europe/Amsterdam. */
  readonly timezone: string;
}

interface CronField {
  readonly allowed: ReadonlySet<number>;
  /** `*` (or `*`/n): day fields combine with OR only when both are restricted (cron semantics). */
  readonly wildcard: boolean;
}

export interface CompiledWindow extends MaintenanceWindowSpec {
  readonly minute: CronField;
  readonly hour: CronField;
  readonly dayOfMonth: CronField;
  readonly month: CronField;
  readonly dayOfWeek: CronField;
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

export const MAX_WINDOW_MINUTES = 7 * 24 * 60;

/** @returns the compiled window, or the reason the spec is malformed. */
export function compileWindow(spec: MaintenanceWindowSpec): CompiledWindow | { problem: string } {
  const parts = spec.cron.trim().split(/\s+/);
  if (parts.length !== 5) {
    return { problem: `cron "${spec.cron}" needs 5 fields: minute hour day-of-month month day-of-week` };
  }
  const fields: CronField[] = [];
  for (const [i, part] of parts.entries()) {
    const field = parseField(part, FIELDS[i]!);
    if ('problem' in field) return field;
    fields.push(field);
  }
  if (
    !Number.isInteger(spec.durationMinutes) ||
    spec.durationMinutes < 1 ||
    spec.durationMinutes > MAX_WINDOW_MINUTES
  ) {
    return { problem: `a window lasts 1 minute to 7 days, got ${spec.durationMinutes} minutes` };
  }
  if (!validTimeZone(spec.timezone)) return { problem: `unknown time zone "${spec.timezone}"` };
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [
    CronField,
    CronField,
    CronField,
    CronField,
    CronField,
  ];
  const dow = new Set([...dayOfWeek.allowed].map((d) => d % 7));
  return { ...spec, minute, hour, dayOfMonth, month, dayOfWeek: { ...dayOfWeek, allowed: dow } };
}

function parseField(text: string, range: (typeof FIELDS)[number]): CronField | { problem: string } {
  const allowed = new Set<number>();
  const bad = (why: string) => ({ problem: `cron ${range.name} "${text}": ${why}` });
  for (const item of text.split(',')) {
    const match = /^(\*|(\d{1,2})(?:-(\d{1,2}))?)(?:\/(\d{1,2}))?$/.exec(item);
    if (!match) return bad('expected *, a number, a range a-b, a list or a step /n');
    const from = match[1] === '*' ? range.min : Number(match[2]);
    const to =
      match[1] === '*' ? range.max : match[3] !== undefined ? Number(match[3]) : match[4] ? range.max : from;
    const step = match[4] !== undefined ? Number(match[4]) : 1;
    if (from < range.min || to > range.max || from > to) return bad(`outside ${range.min}-${range.max}`);
    if (step < 1) return bad('a step is at least 1');
    for (let v = from; v <= to; v += step) allowed.add(v);
  }
  return { allowed, wildcard: text.startsWith('*') };
}

function validTimeZone(timezone: string): boolean {
  try {
    formatter(timezone);
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timezone, f);
  }
  return f;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Offset of the zone from UTC at `at` (ms; local = UTC + offset), to the minute. */
function offsetAt(timezone: string, at: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(new Date(at))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const local = Date.UTC(parts['year']!, parts['month']! - 1, parts['day'], parts['hour'], parts['minute']);
  return local - Math.floor(at / MINUTE) * MINUTE;
}

function matchesMinute(w: CompiledWindow, localMs: number): boolean {
  const d = new Date(localMs);
  if (!w.minute.allowed.has(d.getUTCMinutes()) || !w.hour.allowed.has(d.getUTCHours())) return false;
  if (!w.month.allowed.has(d.getUTCMonth() + 1)) return false;
  const dom = w.dayOfMonth.allowed.has(d.getUTCDate());
  const dow = w.dayOfWeek.allowed.has(d.getUTCDay());
  if (w.dayOfMonth.wildcard && w.dayOfWeek.wildcard) return true;
  if (w.dayOfMonth.wildcard) return dow;
  if (w.dayOfWeek.wildcard) return dom;
  return dom || dow;
}

/**
 * When the window that is open at `at` closes (epoch ms), or null when none is open. Looks back
 * over the window's duration a minute at a time; the zone's offset is computed once per hour,
 * since offsets change on the hour or half-hour at most once a day.
 */
export function openWindowEnd(w: CompiledWindow, at: number): number | null {
  const durationMs = w.durationMinutes * MINUTE;
  let offsetHour = Number.NaN;
  let offset = 0;
  // Scanning back from now, the first start that matches is the latest, so its end is the latest.
  for (let start = Math.floor(at / MINUTE) * MINUTE; start > at - durationMs; start -= MINUTE) {
    const hour = Math.floor(start / HOUR);
    if (hour !== offsetHour) {
      offsetHour = hour;
      offset = offsetAt(w.timezone, start);
    }
    if (matchesMinute(w, start + offset)) return start + durationMs;
  }
  return null;
}

/**
 * A device's own window, from its `maintenanceWindow` attribute:
 * `"<cron: 5 fields> <duration: ISO-8601 such as PT2H> [<time zone, default UTC>]"`.
 */
export function parseWindowAttribute(value: string): CompiledWindow | { problem: string } {
  const parts = value.trim().split(/\s+/);
  if (parts.length < 6 || parts.length > 7) {
    return {
      problem: 'expected "<minute> <hour> <day> <month> <weekday> <duration, e.g. PT2H> [<time zone>]"',
    };
  }
  const minutes = isoDurationMinutes(parts[5]!);
  if (minutes === undefined) return { problem: `"${parts[5]}" is not an ISO-8601 duration such as PT2H` };
  return compileWindow({
    cron: parts.slice(0, 5).join(' '),
    durationMinutes: minutes,
    timezone: parts[6] ?? 'UTC',
  });
}

/** Minutes of an ISO-8601 duration in days, hours and minutes (`P1D`, `PT2H30M`); undefined otherwise. */
export function isoDurationMinutes(value: string): number | undefined {
  const match = /^P(?:(\d{1,3})D)?(?:T(?:(\d{1,4})H)?(?:(\d{1,6})M)?)?$/i.exec(value);
  if (!match || value.length < 3 || /T$/i.test(value)) return undefined;
  const [, d, h, m] = match.map((p) => Number(p ?? 0));
  return ((d ?? 0) * 24 + (h ?? 0)) * 60 + (m ?? 0);
}
