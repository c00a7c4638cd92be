import { z } from 'zod';

/** Thrown by {@link loadConfig} when the environment does not satisfy a service's schema. */
export class ConfigurationError extends Error {
  constructor(
    readonly service: string,
    /** One `KEY: problem` line per bad key, in schema order. */
    readonly problems: readonly string[],
  ) {
    super(`${service} configuration is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/**
 * Parses the environment once at start-up and returns the typed configuration.
 *
 * Empty variables (`FOO=`) count as unset so that defaults apply, which is what people mean when
 * they blank a line in an `.env` file. Every bad key is reported at once: fixing a deployment one
 * restart per key is slow. Values are never echoed for keys without a dedicated helper, because
 * connection strings may carry passwords.
 *
 * @throws ConfigurationError listing each bad key with its problem.
 */
export function loadConfig<T>(
  schema: z.ZodType<T>,
  env: NodeJS.ProcessEnv = process.env,
  service: string,
): T {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(present, {
    error: (issue) => (issue.input === undefined ? 'required' : undefined),
  });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.') || '(environment)';
    return `${key}: ${issue.message}`;
  });
  throw new ConfigurationError(service, problems);
}

function withDefault<T>(
  schema: z.ZodType<T, string>,
  fallback: T | undefined,
  description: string,
): z.ZodType<T, string | undefined> {
  if (fallback === undefined) return schema.describe(`${description} (required)`);
  return schema
    .optional()
    .transform((value) => value ?? fallback)
    .describe(`${description} (default ${JSON.stringify(fallback)})`);
}

function custom<T>(parse: (raw: string) => T | undefined, expected: string) {
  return z.string().transform((raw, ctx) => {
    const value = parse(raw.trim());
    if (value === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${expected}, got ${JSON.stringify(raw)}`,
        input: raw,
      });
      return z.NEVER;
    }
    return value;
  });
}

/** A TCP port (0–65535), e.g. `HTTP_PORT: envPort(3000)`. */
export function envPort(fallback?: number, description = 'TCP port') {
  const port = custom((raw) => {
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    return Number.isInteger(n) && n <= 65535 ? n : undefined;
  }, 'a number');
  return withDefault(port, fallback, description);
}

/** A comma-separated list, trimmed, empty items dropped; required lists need at least one item. */
export function envList(fallback?: string[], description = 'comma-separated list') {
  const list = custom((raw) => {
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    return items.length > 0 ? items : undefined;
  }, 'a comma-separated list');
  return withDefault(list, fallback, description);
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** A boolean: `true/false`, `1/0`, `yes/no`, `on/off` (case-insensitive). */
export function envBoolean(fallback?: boolean, description = 'boolean flag') {
  const flag = custom((raw) => {
    const lower = raw.toLowerCase();
    return TRUE.has(lower) ? true : FALSE.has(lower) ? false : undefined;
  }, 'a boolean (true/false)');
  return withDefault(flag, fallback, description);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `250`, `250ms`, `30s`, `5m`, `1h` or `2d` into milliseconds; undefined when malformed. */
export function parseDurationMs(raw: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i.exec(raw.trim());
  if (!match) return undefined;
  const unit = UNIT_MS[(match[2] ?? 'ms').toLowerCase()] ?? 1;
  return Math.round(Number(match[1]) * unit);
}

/** A duration in milliseconds, written as `250`, `250ms`, `30s`, `5m`, `1h` or `2d`. */
export function envDurationMs(fallback?: number | string, description = 'duration') {
  const fallbackMs = typeof fallback === 'string' ? parseDurationMs(fallback) : fallback;
  if (typeof fallback === 'string' && fallbackMs === undefined)
    throw new Error(`bad default duration "${fallback}"`);
  const duration = custom(parseDurationMs, 'a duration such as 500ms, 30s or 5m');
  return withDefault(duration, fallbackMs, description);
}

/** Levels accepted by pino. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A pino log level, e.g. `LOG_LEVEL: envLogLevel()`. */
export function envLogLevel(fallback: LogLevel = 'info') {
  return z.enum(LOG_LEVELS).default(fallback).describe(`log level (default "${fallback}")`);
}
