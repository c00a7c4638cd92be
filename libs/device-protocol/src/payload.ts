import { Decoder } from 'cbor-x';
import { quote, rejected } from './errors';

export type PayloadFormat = 'json' | 'cbor';

/** docs/device-protocol.md: "Maximum uplink payload: 8 KiB". */
export const MAX_UPLINK_BYTES = 8192;
/** Deeper than any message of the protocol needs; bounds the work a hostile payload can cause. */
const MAX_DEPTH = 16;

/** MQTT 5 content types, and the CoAP content-format numbers LwM2M clients may send instead. */
const CONTENT_TYPES: Readonly<Record<string, PayloadFormat>> = {
  'application/senml+json': 'json',
  'application/json': 'json',
  'application/senml+cbor': 'cbor',
  'application/cbor': 'cbor',
  '110': 'json',
  '50': 'json',
  '112': 'cbor',
  '60': 'cbor',
};

// Maps stay Maps (SenML CBOR uses integer labels, and a Map cannot be prototype-polluted);
// records/structures are cbor-x extensions no device sends.
const cbor = new Decoder({ mapsAsObjects: false, useRecords: false });
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The format of an uplink: the content type when given, else the first byte (`[`/`{` after
 * optional whitespace: JSON; a CBOR array or map header, or the CBOR self-describe tag: CBOR).
 * @throws UplinkRejectedError `malformed` when neither says
 */
export function payloadFormat(payload: Uint8Array, contentType?: string): PayloadFormat {
  if (contentType !== undefined && contentType.trim() !== '') {
    const known = CONTENT_TYPES[contentType.split(';')[0]?.trim().toLowerCase() ?? ''];
    if (!known) throw rejected('malformed', `unsupported content type ${quote(contentType)}`);
    return known;
  }
  const first = payload.find((byte) => ![0x20, 0x09, 0x0a, 0x0d].includes(byte));
  if (first === 0x5b || first === 0x7b) return 'json';
  const head = payload[0];
  const selfDescribed = payload[0] === 0xd9 && payload[1] === 0xd9 && payload[2] === 0xf7;
  // Major type 4 (array) or 5 (map): the top level of every message of the protocol.
  if (head !== undefined && (head >> 5 === 4 || head >> 5 === 5 || selfDescribed)) return 'cbor';
  if (payload.length === 0) throw rejected('malformed', 'payload is empty');
  throw rejected('malformed', `payload is neither JSON nor CBOR (first byte 0x${hex(head ?? 0)})`);
}

/**
 * Bytes to plain data: JSON as parsed, CBOR maps as objects whose integer keys become decimal
 * strings (`-2` → `'-2'`). Anything the protocol cannot contain (Dates, typed arrays, bigints...)
 * is left as is for the caller's shape check to refuse.
 * @throws UplinkRejectedError `too-large` or `malformed`, never anything else
 */
export function parsePayload(
  payload: Uint8Array,
  contentType?: string,
  maxBytes = MAX_UPLINK_BYTES,
): { format: PayloadFormat; data: unknown } {
  if (payload.length > maxBytes) {
    throw rejected('too-large', `payload too large: ${payload.length} bytes > ${maxBytes}`);
  }
  const format = payloadFormat(payload, contentType);
  return { format, data: format === 'json' ? parseJson(payload) : parseCbor(payload) };
}

function parseJson(payload: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    throw rejected('malformed', 'payload is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw rejected('malformed', `payload is not valid JSON: ${messageOf(error)}`);
  }
}

function parseCbor(payload: Uint8Array): unknown {
  let decoded: unknown;
  try {
    decoded = cbor.decode(payload);
  } catch (error) {
    throw rejected('malformed', `payload is not valid CBOR: ${messageOf(error)}`);
  }
  return plain(decoded, 0);
}

function plain(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw rejected('malformed', `payload is nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) return value.map((item: unknown) => plain(item, depth + 1));
  if (!(value instanceof Map)) return value;
  const entries: [string, unknown][] = [];
  for (const [key, item] of value as Map<unknown, unknown>) {
    if (typeof key !== 'string' && !Number.isSafeInteger(key)) {
      throw rejected('malformed', `CBOR map key ${describe(key)} is neither text nor an integer`);
    }
    entries.push([String(key), plain(item, depth + 1)]);
  }
  // fromEntries defines own properties, so a `__proto__` key stays a harmless plain key.
  return Object.fromEntries(entries);
}

/** A JSON object or a converted CBOR map (not an array, Date, typed array...). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A short description of an unexpected value for a reason; never its full content. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : `the number ${value}`;
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'object') return value instanceof Map ? 'a map' : `an object (${typeName(value)})`;
  return `a ${typeof value}`;
}

function typeName(value: object): string {
  const constructorName: unknown = Object.getPrototypeOf(value)?.constructor?.name;
  return typeof constructorName === 'string' ? constructorName : 'no prototype';
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
