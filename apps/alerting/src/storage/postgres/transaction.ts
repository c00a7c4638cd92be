import type { Pool, PoolClient } from 'pg';

export type Tx = Pick<PoolClient, 'query'>;

/** Runs `work` in a transaction: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: Pool, work: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Thrown inside {@link inTransaction} to roll back without it being an error for the caller. */
export class Rollback extends Error {
  override readonly name = 'Rollback';
}

/**
 * Advisory lock keys. Telemetry and device-event batches take ACTIVITY shared; the deadline
 * tracker takes it exclusively for the short moment it merges the last journal rows and decides
 * who is silent, so that no uplink can commit in between unseen. TRACKER elects the replica that
 * merges and checks (try-lock per round: another replica simply skips).
 */
export const LOCKS = {
  activity: `hashtext('fleet-alerting-activity')`,
  tracker: `hashtext('fleet-alerting-tracker')`,
  schema: `hashtext('fleet-alerting-schema')`,
} as const;
