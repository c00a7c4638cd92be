import { ValidationError } from '@fleet/core';
import { Encoder } from 'cbor-x';
import { quote, rejected } from './errors';
import type { ResourceValue } from './lwm2m-resources';
import { describe, isPlainObject, parsePayload, type PayloadFormat } from './payload';

/** One SenML record with its base values applied (RFC 8428 §4.6 "resolved record"). */
export interface ResolvedRecord {
  /** `bn` + `n`: for Fleetwise, an LwM2M path such as `/3/0/9`. */
  readonly path: string;
  /** Epoch milliseconds; null when the record had no time ("roughly now": use when received). */
  readonly timeMs: number | null;
  readonly value: ResourceValue;
  readonly unit: string | null;
}

export interface SenmlRecordInput {
  readonly path: string;
  readonly value: ResourceValue;
  readonly unit?: string | null;
  readonly timeMs?: number | null;
}

/** RFC 8428 §6 integer labels of SenML CBOR. */
const CBOR_LABELS = {
  bver: -1,
  bn: -2,
  bt: -3,
  bu: -4,
  bv: -5,
  bs: -6,
  n: 0,
  u: 1,
  v: 2,
  vs: 3,
  vb: 4,
  s: 5,
  t: 6,
  ut: 7,
  vd: 8,
} as const;
type Label = keyof typeof CBOR_LABELS;
const TEXT_LABELS = new Set<string>(Object.keys(CBOR_LABELS));
const TEXT_AND_INTEGER_LABELS = new Set<string>([...TEXT_LABELS, ...Object.values(CBOR_LABELS).map(String)]);

/** RFC 8428 §4.5.3: times below 2^28 s are relative to now. */
const RELATIVE_TIME_LIMIT = 2 ** 28;
/** 9999-12-31T23:59:59Z: later instants have no ISO-8601 form, so no device means them. */
const LATEST_TIME_SECONDS = 253_402_300_799;

const cbor = new Encoder({ useRecords: false, mapsAsObjects: false });

/**
 * Decodes a SenML JSON or CBOR pack (format from the content type, else guessed) into resolved
 * records; relative times are taken relative to `now` (epoch milliseconds).
 * @throws UplinkRejectedError and nothing else, whatever the bytes
 */
export function decodeSenml(
  payload: Uint8Array,
  options: { now: number; contentType?: string },
): ResolvedRecord[] {
  const { format, data } = parsePayload(payload, options.contentType);
  return resolveSenmlPack(data, { now: options.now, format });
}

/**
 * Resolves an already parsed pack: base name, time, unit and value apply to their record and all
 * later ones until changed. CBOR packs may use integer labels (as decimal-string keys, see
 * `parsePayload`) as well as text labels.
 */
export function resolveSenmlPack(
  pack: unknown,
  options: { now: number; format: PayloadFormat },
): ResolvedRecord[] {
  if (!Array.isArray(pack))
    throw rejected('malformed', `a SenML pack is an array of records, got ${describe(pack)}`);
  const base = { name: '', time: undefined as number | undefined, unit: null as string | null, value: 0 };
  return pack.map((entry: unknown, index) => {
    const at = `record ${index + 1}`;
    if (!isPlainObject(entry)) throw rejected('malformed', `${at} is not a map but ${describe(entry)}`);
    const read = labelReader(entry, options.format, at);
    base.name = read('bn', 'string') ?? base.name;
    base.time = read('bt', 'number') ?? base.time;
    base.unit = read('bu', 'string') ?? base.unit;
    base.value = read('bv', 'number') ?? base.value;
    const path = base.name + (read('n', 'string') ?? '');
    if (path === '') throw rejected('malformed', `${at} has no name (neither bn nor n)`);
    const label = `${at} (${quote(path)})`;
    const value = resolvedValue(read, base.value, label);
    const time = read('t', 'number');
    const timeMs =
      time === undefined && base.time === undefined
        ? null
        : toEpochMs((base.time ?? 0) + (time ?? 0), options.now, label);
    return { path, timeMs, value, unit: read('u', 'string') ?? base.unit };
  });
}

type Reader = {
  (label: Label, type: 'string'): string | undefined;
  (label: Label, type: 'number'): number | undefined;
  (label: Label, type: 'boolean'): boolean | undefined;
  (label: Label): unknown;
};

function labelReader(record: Record<string, unknown>, format: PayloadFormat, at: string): Reader {
  const known = format === 'cbor' ? TEXT_AND_INTEGER_LABELS : TEXT_LABELS;
  for (const key of Object.keys(record)) {
    // RFC 8428 §4.4: a label ending in `_` must be understood, so an unknown one voids the pack.
    if (key.endsWith('_') && !known.has(key))
      throw rejected('malformed', `${at}: unsupported must-understand label ${quote(key)}`);
  }
  const raw = (label: Label): unknown => {
    if (Object.hasOwn(record, label)) return record[label];
    const code = String(CBOR_LABELS[label]);
    return format === 'cbor' && Object.hasOwn(record, code) ? record[code] : undefined;
  };
  return ((label: Label, type?: 'string' | 'number' | 'boolean'): unknown => {
    const value = raw(label);
    if (value === undefined || type === undefined) return value;
    const fits = typeof value === type && (type !== 'number' || Number.isFinite(value));
    if (!fits)
      throw rejected(
        'malformed',
        `${at}: ${label} must be a${type === 'number' ? ' finite' : ''} ${type}, got ${describe(value)}`,
      );
    return value;
  }) as Reader;
}

function resolvedValue(read: Reader, baseValue: number, label: string): ResourceValue {
  if (read('vd') !== undefined) throw rejected('wrong-type', `${label}: data values (vd) are not supported`);
  const values = [read('v', 'number'), read('vs', 'string'), read('vb', 'boolean')].filter(
    (v) => v !== undefined,
  );
  const [value, ...more] = values;
  if (more.length > 0) throw rejected('malformed', `${label} has more than one of v, vs and vb`);
  if (value === undefined) throw rejected('malformed', `${label} has no value (v, vs or vb)`);
  if (typeof value !== 'number') return value;
  const sum = baseValue + value;
  if (!Number.isFinite(sum)) throw rejected('out-of-range', `${label}: bv + v is not a finite number`);
  return sum;
}

function toEpochMs(seconds: number, now: number, label: string): number {
  const absolute = seconds < RELATIVE_TIME_LIMIT ? now / 1000 + seconds : seconds;
  if (!(absolute >= 0 && absolute <= LATEST_TIME_SECONDS)) {
    throw rejected('out-of-range', `${label}: time ${seconds} s is not between 1970 and 9999`);
  }
  return Math.round(absolute * 1000);
}

/** Encodes records as a SenML pack: full names, absolute times in seconds; CBOR with integer labels. */
export function encodeSenml(records: readonly SenmlRecordInput[], format: PayloadFormat): Buffer {
  const pack = records.map((record) => {
    const entry: [Label, ResourceValue][] = [['n', record.path]];
    if (typeof record.value === 'number' && !Number.isFinite(record.value)) {
      throw new ValidationError(`${record.path}: ${record.value} cannot be encoded in SenML`);
    }
    entry.push([
      typeof record.value === 'number' ? 'v' : typeof record.value === 'string' ? 'vs' : 'vb',
      record.value,
    ]);
    if (record.unit) entry.push(['u', record.unit]);
    if (record.timeMs !== undefined && record.timeMs !== null) entry.push(['t', record.timeMs / 1000]);
    return entry;
  });
  if (format === 'json') return Buffer.from(JSON.stringify(pack.map((entry) => Object.fromEntries(entry))));
  return cbor.encode(
    pack.map((entry) => new Map(entry.map(([label, value]) => [CBOR_LABELS[label], value]))),
  );
}
