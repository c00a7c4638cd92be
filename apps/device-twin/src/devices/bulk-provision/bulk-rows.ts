import { parse } from 'csv-parse/sync';
import { ValidationError } from '@fleet/core';

/** CSV columns of a bulk provisioning file; only serial, manufacturer and model are required. */
export const CSV_COLUMNS = [
  'deviceId',
  'serial',
  'manufacturer',
  'model',
  'hardwareRevision',
  'firmwareVersion',
  'deviceClass',
  'wakeIntervalSeconds',
  'lorawanClass',
  'devEui',
  'region',
  'tags',
  'attributes',
  'credentialType',
  'certificateFingerprint',
  'appKey',
  'activate',
] as const;

/** A row as given, numbered from 1 (CSV: the header is line 1, so row n is line n + 1). */
export interface SourceRow {
  readonly row: number;
  readonly value: unknown;
}

/** Parses a CSV upload into request-shaped objects; cells that are empty are left out. */
export function rowsFromCsv(text: string): SourceRow[] {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    throw new ValidationError(`CSV: ${(error as Error).message}`);
  }
  const header = Object.keys(records[0] ?? {});
  const unknown = header.filter((column) => !(CSV_COLUMNS as readonly string[]).includes(column));
  if (unknown.length > 0) {
    throw new ValidationError(
      `CSV: unknown column(s) ${unknown.join(', ')}; expected some of ${CSV_COLUMNS.join(', ')}`,
    );
  }
  return records.map((record, index) => ({ row: index + 1, value: fromCells(record) }));
}

export function rowsFromJson(body: unknown): SourceRow[] {
  const devices = Array.isArray(body) ? body : (body as { devices?: unknown } | null)?.devices;
  if (!Array.isArray(devices)) {
    throw new ValidationError(
      'body: expected a JSON array of devices, or {"devices": [...], "reason": "..."}',
    );
  }
  return devices.map((value, index) => ({ row: index + 1, value }));
}

function fromCells(cells: Record<string, string>): Record<string, unknown> {
  const get = (column: string) =>
    cells[column] === undefined || cells[column] === '' ? undefined : cells[column];
  const kind = get('deviceClass') ?? 'always-on';
  const deviceClass =
    kind === 'sleepy'
      ? { kind, wakeIntervalSeconds: numberOrText(get('wakeIntervalSeconds')) }
      : kind === 'lorawan'
        ? { kind, lorawanClass: get('lorawanClass') ?? 'A', devEui: get('devEui') }
        : { kind };
  const credentialType = get('credentialType');
  const credentials =
    credentialType === 'x509'
      ? { type: credentialType, fingerprint: get('certificateFingerprint') }
      : credentialType === 'lorawan-appkey'
        ? { type: credentialType, ...(get('appKey') ? { appKey: get('appKey') } : {}) }
        : credentialType
          ? { type: credentialType }
          : undefined;
  const activate = get('activate');
  return withoutUndefined({
    deviceId: get('deviceId'),
    serial: get('serial'),
    manufacturer: get('manufacturer'),
    model: get('model'),
    hardwareRevision: get('hardwareRevision'),
    firmwareVersion: get('firmwareVersion'),
    deviceClass,
    region: get('region'),
    tags: get('tags')
      ?.split(';')
      .map((t) => t.trim())
      .filter(Boolean),
    attributes: get('attributes') ? parseAttributes(get('attributes') as string) : undefined,
    credentials,
    activate:
      activate === undefined
        ? undefined
        : activate === 'true'
          ? true
          : activate === 'false'
            ? false
            : activate,
  });
}

/** `site=north;customer=acme` → `{site: 'north', customer: 'acme'}`. */
function parseAttributes(text: string): Record<string, string> | string {
  const pairs = text.split(';').map((pair) => pair.split('='));
  if (pairs.some((p) => p.length !== 2 || !p[0]?.trim())) return text; // left for validation to reject
  return Object.fromEntries(pairs.map(([k, v]) => [(k as string).trim(), (v as string).trim()]));
}

const numberOrText = (text: string | undefined) =>
  text !== undefined && /^\d+$/.test(text) ? Number(text) : text;

const withoutUndefined = (record: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
