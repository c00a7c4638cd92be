import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';

/** Where tests find the real infrastructure that `npm test` brings up. */
export const testInfrastructure = {
  pgUrl: process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/fleet_test',
  kafkaBrokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
  mqttUrl: process.env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883',
};

/** A unique name so that parallel test files never share topics, groups or schemas. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/** A throw-away PostgreSQL schema for one test file; drop it in afterAll. */
export async function createTestSchema(
  prefix = 'test',
): Promise<{ pool: Pool; schema: string; drop(): Promise<void> }> {
  const pool = new Pool({ connectionString: testInfrastructure.pgUrl, max: 20 });
  const schema = uniqueName(prefix);
  return {
    pool,
    schema,
    async drop() {
      await pool.query(`drop schema if exists ${schema} cascade`);
      await pool.end();
    },
  };
}

/** Polls until `probe` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
  );
}
