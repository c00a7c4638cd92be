import { PG_POOL } from '@fleet/platform';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { alertingSchemaSql } from '../alerting-schema';
import { inTransaction, LOCKS } from './transaction';

/**
 * Creates the alerting tables once per start (idempotent DDL, serialised between replicas by an
 * advisory lock). Everything that touches the tables awaits {@link ready} first.
 */
@Injectable()
export class AlertingStorage {
  private readonly logger = new Logger(AlertingStorage.name);
  readonly ready: Promise<void>;

  constructor(@Inject(PG_POOL) pool: Pool) {
    this.ready = inTransaction(pool, async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(${LOCKS.schema})`);
      await tx.query(alertingSchemaSql());
    });
    this.ready.catch((error: unknown) =>
      this.logger.error({ err: error }, 'creating the alerting tables failed'),
    );
  }
}
