import { ValidationError } from '@fleet/core';
import type { Pool, PoolClient } from 'pg';
import type { RequestedCommand } from '../command';
import type { DeviceView } from '../gates';

type Queryable = Pool | PoolClient;

/** A command as the read model keeps it: the aggregate state plus the columns queries need. */
export interface CommandRow {
  readonly state: RequestedCommand;
  readonly sentAt: string | null;
  readonly updatedAt: string;
}

interface Row {
  state: RequestedCommand;
  sent_at: Date | null;
  updated_at: Date;
}

const toRow = (r: Row): CommandRow => ({
  state: r.state,
  sentAt: r.sent_at?.toISOString() ?? null,
  updatedAt: r.updated_at.toISOString(),
});

/** A queued command whose device can take it now, with what the gates need to know. */
export interface DueCommand {
  readonly command: RequestedCommand;
  readonly device: DeviceView;
  /** Since when it has been waiting: its request, or the end of its retry delay. */
  readonly dueSince: string;
}

export interface CommandPage {
  readonly items: readonly CommandRow[];
  readonly nextCursor: string | null;
}

/**
 * The `dispatch_commands` read model. Writers pass the state they decided on; a row only ever
 * moves to a higher version, so the write-through after an append and the catch-up projection
 * can both write without coordinating.
 */
export class CommandStore {
  constructor(private readonly pool: Pool) {}

  async save(states: readonly RequestedCommand[], now: string, db: Queryable = this.pool): Promise<void> {
    if (states.length === 0) return;
    const rows = states.map((s) => ({
      command_id: s.request.commandId,
      device_id: s.request.deviceId,
      job_id: s.request.jobId,
      status: s.status,
      version: s.version,
      operation: s.request.operation,
      path: s.request.path,
      origin: s.request.origin,
      configuration_key: s.request.configurationKey,
      expires_at: s.request.expiresAt,
      not_before: s.notBefore,
      sent: s.status === 'sent' ? now : null,
      state: s,
    }));
    await db.query(
      `INSERT INTO dispatch_commands AS c (command_id, device_id, job_id, status, version, operation, path,
         origin, configuration_key, requested_at, updated_at, expires_at, not_before, sent_at, state)
       SELECT r.command_id, r.device_id, r.job_id, r.status, r.version, r.operation, r.path, r.origin,
         r.configuration_key, $2, $2, r.expires_at, r.not_before, r.sent, r.state
       FROM jsonb_to_recordset($1::jsonb) AS r(command_id uuid, device_id text, job_id uuid, status text,
         version int, operation text, path text, origin text, configuration_key text,
         expires_at timestamptz, not_before timestamptz, sent timestamptz, state jsonb)
       ON CONFLICT (command_id) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version,
         updated_at = EXCLUDED.updated_at, not_before = EXCLUDED.not_before,
         sent_at = COALESCE(EXCLUDED.sent_at, c.sent_at), state = EXCLUDED.state
       WHERE c.version < EXCLUDED.version`,
      [JSON.stringify(rows), now],
    );
  }

  async find(commandId: string): Promise<CommandRow | undefined> {
    const { rows } = await this.pool.query<Row>(
      'SELECT state, sent_at, updated_at FROM dispatch_commands WHERE command_id = $1',
      [commandId],
    );
    return rows[0] && toRow(rows[0]);
  }

  async findMany(commandIds: readonly string[]): Promise<Map<string, RequestedCommand>> {
    if (commandIds.length === 0) return new Map();
    const { rows } = await this.pool.query<{ state: RequestedCommand }>(
      'SELECT state FROM dispatch_commands WHERE command_id = ANY($1::uuid[])',
      [commandIds],
    );
    return new Map(rows.map((r) => [r.state.request.commandId, r.state]));
  }

  /** Open commands of a device whose id starts with `prefix` (LoRaWAN answers carry a short tag). */
  async findOpenByPrefix(deviceId: string, prefix: string): Promise<RequestedCommand[]> {
    const { rows } = await this.pool.query<{ state: RequestedCommand }>(
      `SELECT state FROM dispatch_commands WHERE device_id = $1 AND status IN ('sent', 'delivered')
         AND command_id::text LIKE $2 ORDER BY requested_at`,
      [deviceId, `${prefix}%`],
    );
    return rows.map((r) => r.state);
  }

  /** Newest first; the cursor is the last row's request time and id. */
  async listForDevice(deviceId: string, limit: number, cursor: string | null): Promise<CommandPage> {
    const [at, id] = cursor ? decodeCursor(cursor) : [null, null];
    const { rows } = await this.pool.query<Row & { requested_at: Date; command_id: string }>(
      `SELECT state, sent_at, updated_at, requested_at, command_id FROM dispatch_commands
        WHERE device_id = $1 AND ($2::timestamptz IS NULL OR (requested_at, command_id) < ($2, $3::uuid))
        ORDER BY requested_at DESC, command_id DESC LIMIT $4`,
      [deviceId, at, id, limit + 1],
    );
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items: items.map(toRow),
      nextCursor:
        rows.length > limit && last ? encodeCursor(last.requested_at.toISOString(), last.command_id) : null,
    };
  }

  /**
   * Queued commands due now whose device is listening and has a free slot, oldest first per
   * device, at most `limit`. Sleepy and class A devices listen for `listenWindowMs` after they talk.
   */
  async due(
    limit: number,
    listenWindowMs: number,
    deviceIds: readonly string[] | null,
  ): Promise<DueCommand[]> {
    const { rows } = await this.pool.query<{ state: RequestedCommand; due_since: Date } & DeviceRow>(
      `WITH listening AS (
         SELECT d.* FROM dispatch_devices d
         WHERE ($3::text[] IS NULL OR d.device_id = ANY($3::text[]))
           AND (d.kind = 'always-on' OR (d.kind = 'lorawan' AND d.lorawan_class = 'C')
                OR d.last_uplink_at > now() - make_interval(secs => $2::double precision / 1000))
       ), queued AS (
         SELECT c.device_id, c.state, c.requested_at, c.not_before,
           row_number() OVER (PARTITION BY c.device_id ORDER BY c.requested_at, c.command_id) AS n
         FROM dispatch_commands c JOIN listening l USING (device_id)
         WHERE c.status = 'queued' AND (c.not_before IS NULL OR c.not_before <= now())
       )
       SELECT q.state, COALESCE(q.not_before, q.requested_at) AS due_since, l.*
       FROM queued q JOIN listening l USING (device_id)
       WHERE q.n <= l.max_in_flight - (SELECT count(*) FROM dispatch_commands o
                                        WHERE o.device_id = q.device_id AND o.status IN ('sent', 'delivered'))
       ORDER BY q.requested_at LIMIT $1`,
      [limit, listenWindowMs, deviceIds],
    );
    return rows.map((r) => ({
      command: r.state,
      device: deviceViewOf(r),
      dueSince: r.due_since.toISOString(),
    }));
  }

  /** Open commands whose time-to-live has passed. */
  async expired(limit: number): Promise<RequestedCommand[]> {
    const { rows } = await this.pool.query<{ state: RequestedCommand }>(
      `SELECT state FROM dispatch_commands WHERE status IN ('requested', 'queued', 'sent', 'delivered')
         AND expires_at <= now() ORDER BY expires_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.state);
  }

  /** Commands sent longer than `timeoutMs` ago that the device never acknowledged. */
  async unanswered(timeoutMs: number, limit: number): Promise<RequestedCommand[]> {
    const { rows } = await this.pool.query<{ state: RequestedCommand }>(
      `SELECT state FROM dispatch_commands WHERE status = 'sent'
         AND sent_at < now() - make_interval(secs => $1::double precision / 1000) ORDER BY sent_at LIMIT $2`,
      [timeoutMs, limit],
    );
    return rows.map((r) => r.state);
  }

  /** Open configuration writes of a device for a key (a newer desired value supersedes them). */
  async openConfigurationWrites(deviceId: string, key: string): Promise<RequestedCommand[]> {
    const { rows } = await this.pool.query<{ state: RequestedCommand }>(
      `SELECT state FROM dispatch_commands WHERE device_id = $1 AND configuration_key = $2
         AND status IN ('requested', 'queued')`,
      [deviceId, key],
    );
    return rows.map((r) => r.state);
  }
}

export interface DeviceRow {
  device_id: string;
  status: DeviceView['status'];
  kind: DeviceView['kind'];
  lorawan_class: DeviceView['lorawanClass'];
  dev_eui: string | null;
  region: string | null;
  attributes: Record<string, string>;
  battery_percent: number | null;
  firmware_update_state: number | null;
  data_rate: number | null;
  airtime_used_ms: number;
  airtime_window_start: Date | null;
  max_in_flight: number;
  last_uplink_at: Date | null;
}

export function deviceViewOf(r: DeviceRow): DeviceView {
  return {
    deviceId: r.device_id,
    status: r.status,
    kind: r.kind,
    lorawanClass: r.lorawan_class,
    devEui: r.dev_eui,
    lorawanApplicationId: r.attributes['lorawanApplicationId'] ?? null,
    region: r.region,
    batteryPercent: r.battery_percent,
    firmwareUpdateState: r.firmware_update_state,
    dataRate: r.data_rate,
    airtimeUsedMs: r.airtime_used_ms,
    airtimeWindowStart: r.airtime_window_start?.toISOString() ?? null,
    maxInFlight: r.max_in_flight,
    lastUplinkAt: r.last_uplink_at?.toISOString() ?? null,
  };
}

const encodeCursor = (at: string, id: string): string => Buffer.from(`${at}|${id}`).toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!at || !id || Number.isNaN(Date.parse(at)))
    throw new ValidationError('cursor: not a cursor this API returned');
  return [at, id];
}
