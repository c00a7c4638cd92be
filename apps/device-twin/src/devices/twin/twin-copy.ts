import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { TimelineRow } from './postgres-twin.store';
import type { TwinTables } from './twin-tables';
import { expectedIntervalSeconds, type TwinView } from './twin-view';

/**
 * A text field in COPY's text format: backslash, tab, newline and carriage return escaped. Cheaper
 * than CSV for JSON, whose many double quotes CSV would have to double.
 */
const text = (value: string): string =>
  SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ESCAPES[c] as string) : value;

/** A nullable text field: `\N` for null. */
const nullable = (value: string | null): string => (value === null ? '\\N' : text(value));

const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** JSON as a COPY text field: JSON.stringify escapes every control character, so only backslashes double. */
const json = (value: unknown): string => {
  const serialized = JSON.stringify(value);
  return serialized.includes('\\') ? serialized.replaceAll('\\', '\\\\') : serialized;
};

/** A PostgreSQL array literal of strings (`{"a","b"}`), as a COPY text field. */
function textArray(values: readonly string[]): string {
  let literal = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string;
    literal += `${i === 0 ? '"' : ',"'}${QUOTE_OR_BACKSLASH.test(value) ? value.replace(QUOTES_AND_BACKSLASHES, '\\$&') : value}"`;
  }
  return text(`${literal}}`);
}

const QUOTE_OR_BACKSLASH = /["\\]/;
const QUOTES_AND_BACKSLASHES = /["\\]/g;

/** A row of the devices table, in the column order of {@link copyViewsStatement}. */
export function deviceLine(v: TwinView): string {
  return (
    `${text(v.deviceId)}\t${text(v.tenant)}\t${text(v.serial)}\t${text(v.manufacturer)}\t${text(v.model)}\t` +
    `${nullable(v.firmwareVersion)}\t${text(v.status)}\t${nullable(v.region)}\t${text(v.deviceClass.kind)}\t` +
    `${textArray(v.tags)}\t${expectedIntervalSeconds(v)}\t${v.version}\t${text(v.provisionedAt)}\t` +
    `${text(v.updatedAt)}\t${json(v)}`
  );
}

/** A row of the timeline table, in the column order of {@link copyPeriodsStatement}. */
export function timelineLine(r: TimelineRow): string {
  const f = r.facts;
  return (
    `${text(r.deviceId)}\t${r.version}\t${text(r.validFrom)}\t${nullable(r.validTo)}\t${text(f.serial)}\t` +
    `${text(f.manufacturer)}\t${text(f.model)}\t${nullable(f.firmwareVersion)}\t${text(f.status)}\t` +
    `${nullable(f.region)}\t${textArray(f.tags)}`
  );
}

/**
 * COPY of twins into a rebuild's devices table, in the column order of {@link deviceLine}. `freeze`:
 * the rows are written frozen and the pages all-visible, so the table needs no vacuum; only allowed
 * into a table created (or truncated) in the same transaction.
 */
export const copyViewsStatement = (tables: TwinTables, { freeze = false } = {}): string =>
  `copy ${tables.devices} (device_id, tenant, serial, manufacturer, model, firmware_version, status, region,
     device_class, tags, expected_interval_s, version, provisioned_at, updated_at, view) from stdin${freeze ? ' with (freeze)' : ''}`;

/** COPY of timeline periods into a rebuild's timeline table, in the column order of {@link timelineLine}. */
export const copyPeriodsStatement = (tables: TwinTables, { freeze = false } = {}): string =>
  `copy ${tables.timeline} (device_id, version, valid_from, valid_to, serial, manufacturer, model,
     firmware_version, status, region, tags) from stdin${freeze ? ' with (freeze)' : ''}`;

/** Rows are sent to the server in chunks of this many bytes. */
const CHUNK = 1 << 18;

/**
 * A `COPY ... FROM STDIN` fed line by line while the caller goes on working, so that the server
 * parses and stores rows on its core while Node folds on its own. Lines are encoded straight into
 * chunks, sent when full; {@link flush} waits only while the server is behind, and a failure of the
 * COPY surfaces there.
 */
export class CopyIn {
  private chunk = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  private failure: { error: unknown } | undefined;
  private readonly stream: Writable;
  private readonly done: Promise<void>;

  constructor(client: PoolClient, statement: string) {
    this.stream = client.query(copyFrom(statement));
    this.done = finished(this.stream);
    this.done.catch((error: unknown) => {
      this.failure ??= { error };
    });
  }

  push(line: string): void {
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    const most = line.length * 3 + 1;
    if (this.used + most > CHUNK) this.send();
    if (most > CHUNK) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.used += this.chunk.write(line, this.used);
    this.chunk[this.used++] = 0x0a;
  }

  /** Sends a partly filled chunk too with `all`; waits while the server is behind. */
  async flush(all = false): Promise<void> {
    if (this.failure) throw this.failure.error;
    if (all) this.send();
    if (this.stream.writableNeedDrain) await Promise.race([once(this.stream, 'drain'), this.done]);
  }

  /** Sends the rest and waits until the server has stored every row. */
  async end(): Promise<void> {
    await this.flush(true);
    this.stream.end();
    await this.done;
  }

  /** Abandons the COPY: the server discards it (CopyFail). */
  abort(): void {
    if (!this.stream.destroyed) this.stream.destroy(new Error('rebuild abandoned'));
  }

  /** Hands the chunk to the stream (which owns it from then on) and starts a new one. */
  private send(): void {
    if (this.used === 0) return;
    this.stream.write(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafe(CHUNK);
    this.used = 0;
  }
}
