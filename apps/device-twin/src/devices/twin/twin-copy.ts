import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { TimelineRow } from './postgres-twin.store';
import type { TwinTables } from './twin-tables';
import { expectedIntervalSeconds, type TwinView } from './twin-view';

/**
 * One field in COPY's text format: `\N` for null; backslash, tab, newline and carriage return
 * escaped. Cheaper than CSV for JSON, whose many double quotes CSV would have to double.
 */
function field(value: string | number | null): string {
  if (value === null) return '\\N';
  const text = String(value);
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] as string) : text;
}

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A PostgreSQL array literal of strings: `{"a","b"}`. */
const textArray = (values: readonly string[]): string =>
  `{${values.map((v) => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;

function deviceLine(v: TwinView): string {
  return [
    v.deviceId,
    v.tenant,
    v.serial,
    v.manufacturer,
    v.model,
    v.firmwareVersion,
    v.status,
    v.region,
    v.deviceClass.kind,
    textArray(v.tags),
    expectedIntervalSeconds(v),
    v.version,
    v.provisionedAt,
    v.updatedAt,
    JSON.stringify(v),
  ]
    .map(field)
    .join('\t');
}

function timelineLine(r: TimelineRow): string {
  const f = r.facts;
  return [
    r.deviceId,
    r.version,
    r.validFrom,
    r.validTo,
    f.serial,
    f.manufacturer,
    f.model,
    f.firmwareVersion,
    f.status,
    f.region,
    textArray(f.tags),
  ]
    .map(field)
    .join('\t');
}

/** Streams rows into a table with COPY (CSV), in chunks of lines so memory stays flat. */
async function copyLines<T>(
  client: PoolClient,
  statement: string,
  rows: Iterable<T>,
  line: (row: T) => string,
): Promise<void> {
  function* chunks() {
    let chunk: string[] = [];
    for (const row of rows) {
      chunk.push(line(row));
      if (chunk.length === 1_000) {
        yield `${chunk.join('\n')}\n`;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield `${chunk.join('\n')}\n`;
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(statement)));
}

/** Bulk-loads twins into an empty (rebuild) devices table. */
export const copyViews = (client: PoolClient, tables: TwinTables, views: Iterable<TwinView>) =>
  copyLines(
    client,
    `copy ${tables.devices} (device_id, tenant, serial, manufacturer, model, firmware_version, status, region,
       device_class, tags, expected_interval_s, version, provisioned_at, updated_at, view) from stdin`,
    views,
    deviceLine,
  );

/** Bulk-loads timeline periods into an empty (rebuild) timeline table. */
export const copyPeriods = (client: PoolClient, tables: TwinTables, rows: Iterable<TimelineRow>) =>
  copyLines(
    client,
    `copy ${tables.timeline} (device_id, version, valid_from, valid_to, serial, manufacturer, model,
       firmware_version, status, region, tags) from stdin`,
    rows,
    timelineLine,
  );
