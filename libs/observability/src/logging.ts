import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Options as HttpLoggerOptions } from 'pino-http';

/** Keys whose values never reach a log line, at any depth (`dbPassword`, `clientSecret`...). */
const SENSITIVE_KEY = /password|passwd|secret/i;

/** Fixed paths pino redacts after serialisation (headers are not plain objects we can walk). */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.secret',
  '*.password',
];

const MAX_SCRUB_DEPTH = 6;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Copies `value` with sensitive keys masked. Only plain objects and arrays are walked: requests,
 * errors and buffers go through pino's serialisers, and walking them would be slow and unsafe.
 */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (depth > MAX_SCRUB_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => scrubSecrets(item, depth + 1));
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    copy[key] = SENSITIVE_KEY.test(key) ? '[Redacted]' : scrubSecrets(inner, depth + 1);
  }
  return copy;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  readonly service: string;
  readonly level?: string;
  /** Where JSON lines go; stdout (synchronously) when omitted. */
  readonly stream?: DestinationStream;
}

/** The root pino logger of a service: JSON lines carrying `service`, with secrets redacted. */
export function createLogger({ service, level = 'info', stream }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    formatters: {
      // Level names are easier to filter on in log tooling than pino's numbers.
      level: (label) => ({ level: label }),
      log: (object) => scrubSecrets(object) as Record<string, unknown>,
    },
  };
  return stream ? pino(options, stream) : pino(options);
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const QUIET_ROUTES = new Set(['/metrics', '/health/live', '/health/ready']);

/**
 * pino-http options: one log line per request, tagged with a request id that is taken from a
 * sane incoming `x-request-id` (so a trace spans the gateway) or generated, and echoed back.
 */
export function httpLoggerOptions(logger: Logger): HttpLoggerOptions {
  return {
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    // Probes and scrapes every few seconds would drown the interesting lines.
    autoLogging: { ignore: (req) => QUIET_ROUTES.has((req.url ?? '').split('?')[0] ?? '') },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    customSuccessMessage: (req, res) => `${req.method} ${req.url} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${req.url} ${res.statusCode}`,
  };
}
