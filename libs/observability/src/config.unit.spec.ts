import { z } from 'zod';
import {
  ConfigurationError,
  envBoolean,
  envDurationMs,
  envList,
  envLogLevel,
  envPort,
  loadConfig,
  parseDurationMs,
} from './config';

const schema = z.object({
  HTTP_PORT: envPort(3000),
  KAFKA_BROKERS: envList(),
  DEBUG_SQL: envBoolean(false),
  REQUEST_TIMEOUT: envDurationMs('30s'),
  DATABASE_URL: z.string(),
  LOG_LEVEL: envLogLevel(),
});

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(schema, env, 'device-twin');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadConfig', () => {
  it('applies defaults and parses typed values', () => {
    const config = loadConfig(
      schema,
      { KAFKA_BROKERS: 'a:9092, b:9092,', DATABASE_URL: 'postgres://x' },
      'svc',
    );
    expect(config).toEqual({
      HTTP_PORT: 3000,
      KAFKA_BROKERS: ['a:9092', 'b:9092'],
      DEBUG_SQL: false,
      REQUEST_TIMEOUT: 30_000,
      DATABASE_URL: 'postgres://x',
      LOG_LEVEL: 'info',
    });
  });

  it('lists every bad key with its problem, in one error', () => {
    expect(
      problemsOf({ HTTP_PORT: 'abc', DEBUG_SQL: 'maybe', REQUEST_TIMEOUT: 'soon', LOG_LEVEL: 'loud' }),
    ).toBe(
      [
        'device-twin configuration is invalid:',
        '  - HTTP_PORT: expected a number, got "abc"',
        '  - KAFKA_BROKERS: required',
        '  - DEBUG_SQL: expected a boolean (true/false), got "maybe"',
        '  - REQUEST_TIMEOUT: expected a duration such as 500ms, 30s or 5m, got "soon"',
        '  - DATABASE_URL: required',
        '  - LOG_LEVEL: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
      ].join('\n'),
    );
  });

  it('treats empty variables as unset, so defaults apply and required keys are reported', () => {
    expect(problemsOf({ HTTP_PORT: '', KAFKA_BROKERS: '', DATABASE_URL: 'x' })).toBe(
      'device-twin configuration is invalid:\n  - KAFKA_BROKERS: required',
    );
  });

  it('rejects out-of-range ports and empty lists', () => {
    const message = problemsOf({ HTTP_PORT: '70000', KAFKA_BROKERS: ' , ', DATABASE_URL: 'x' });
    expect(message).toContain('HTTP_PORT: expected a number, got "70000"');
    expect(message).toContain('KAFKA_BROKERS: expected a comma-separated list, got " , "');
  });

  it('does not echo values of keys without a dedicated helper (they may be secrets)', () => {
    const strict = z.object({ DATABASE_URL: z.url() });
    expect(() => loadConfig(strict, { DATABASE_URL: 'hunter2' }, 'svc')).toThrow(
      /DATABASE_URL: Invalid URL$/,
    );
  });

  it('documents defaults through describe()', () => {
    expect(envPort(3000, 'HTTP listen port').description).toBe('HTTP listen port (default 3000)');
    expect(envList(undefined, 'Kafka brokers').description).toBe('Kafka brokers (required)');
    expect(envDurationMs('30s').description).toBe('duration (default 30000)');
  });
});

describe('env helpers', () => {
  it.each([
    ['250', 250],
    ['250ms', 250],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['5 weeks', undefined],
    ['', undefined],
  ])('parses duration %j', (raw, expected) => {
    expect(parseDurationMs(raw)).toBe(expected);
  });

  it.each([
    ['TRUE', true],
    ['on', true],
    ['1', true],
    ['no', false],
    ['0', false],
  ])('parses boolean %j', (raw, expected) => {
    expect(envBoolean().parse(raw)).toBe(expected);
  });
});
