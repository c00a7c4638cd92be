import { PG_POOL } from '@fleet/platform';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { ALERTING_CONFIG, type AlertingConfig } from '../../config';
import { textArray } from '../../storage/postgres/array-literals';
import type { Tx } from '../../storage/postgres/transaction';
import { TABLES } from '../../storage/postgres/tables';
import type { DeviceFacts } from '../device-facts';
import { Lru } from '../lru';

interface Cached {
  readonly facts: DeviceFacts | null;
  readonly loadedAt: number;
}

export interface DeviceRow {
  device_id: string;
  facts: Omit<DeviceFacts, 'campaign'> | null;
  campaign_id: string | null;
  campaign_until: Date | null;
}

/**
 * Device facts for evaluation: the `devices` table (kept by the device-events consumer) behind a
 * bounded LRU cache, so that the telemetry hot path reads PostgreSQL only for devices it has not
 * seen lately. Another replica's change reaches this one's cache within ALERTING_DEVICE_CACHE_TTL_MS.
 */
@Injectable()
export class DeviceDirectory {
  private readonly cache: Lru<string, Cached>;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(ALERTING_CONFIG) private readonly config: AlertingConfig,
  ) {
    this.cache = new Lru(config.ALERTING_DEVICE_CACHE_SIZE);
  }

  /** Makes {@link get} answer for every one of `deviceIds`, reading the missing and stale ones. */
  async prefetch(deviceIds: Iterable<string>, now = Date.now()): Promise<void> {
    const missing = this.missing(deviceIds, now);
    if (missing.length === 0) return;
    const found = await this.read(this.pool, missing);
    for (const id of missing) this.remember(id, found.get(id) ?? null, now);
  }

  /** Which of `deviceIds` are not cached or no longer trusted (see {@link prefetch}). */
  missing(deviceIds: Iterable<string>, now = Date.now()): string[] {
    const missing: string[] = [];
    for (const id of deviceIds) {
      const cached = this.cache.get(id);
      // Unknown devices are cached too: a fleet that never sent its device events costs no query per
      // batch. This replica forgets a device as soon as it applies one of its events.
      if (!cached || now - cached.loadedAt > this.config.ALERTING_DEVICE_CACHE_TTL_MS) missing.push(id);
    }
    return missing;
  }

  /** Caches facts read by the caller (null: the device is not known). */
  remember(deviceId: string, facts: DeviceFacts | null, now = Date.now()): void {
    this.cache.set(deviceId, { facts, loadedAt: now });
  }

  /** Facts of a prefetched device (null: not known, or not prefetched). */
  get(deviceId: string): DeviceFacts | null {
    return this.cache.peek(deviceId)?.facts ?? null;
  }

  /** Reads the facts as they are now, bypassing the cache (inside the caller's transaction). */
  async read(tx: Tx | Pool, deviceIds: readonly string[]): Promise<Map<string, DeviceFacts>> {
    const { rows } = await tx.query<DeviceRow>(
      `select device_id, facts, campaign_id, campaign_until from ${TABLES.devices}
       where device_id = any($1::text[]) and facts is not null`,
      [textArray(deviceIds)],
    );
    return new Map(rows.map((r) => [r.device_id, toFacts(r)]));
  }

  /** Drops the cached facts after this replica changed them: the next prefetch reads them again. */
  forget(deviceId: string): void {
    this.cache.delete(deviceId);
  }
}

export function toFacts(row: DeviceRow): DeviceFacts {
  const facts = row.facts as Omit<DeviceFacts, 'campaign'>;
  return {
    ...facts,
    campaign:
      row.campaign_id && row.campaign_until
        ? { campaignId: row.campaign_id, until: row.campaign_until.getTime() }
        : null,
  };
}
