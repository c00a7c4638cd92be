import { MAX_UPLINK_BYTES, type PayloadFormat, type UplinkRejectionCode } from '@fleet/device-protocol';
import { encodePack, type PackRecord } from './senml-pack';
import type { Random } from './random';

/** The broken uplinks the simulator sends on purpose, so that dead-lettering can be tested. */
export const MALFORMED_KINDS = [
  'invalid-json',
  'invalid-cbor',
  'unknown-path',
  'out-of-range',
  'oversize',
  'wrong-type',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** The rejection code ingestion's dead letter carries for each kind. */
export const EXPECTED_REJECTION: Readonly<Record<MalformedKind, UplinkRejectionCode>> = {
  'invalid-json': 'malformed',
  'invalid-cbor': 'malformed',
  'unknown-path': 'unknown-path',
  'out-of-range': 'out-of-range',
  oversize: 'too-large',
  'wrong-type': 'wrong-type',
};

export function emptyMalformedCounts(): Record<MalformedKind, number> {
  return Object.fromEntries(MALFORMED_KINDS.map((kind) => [kind, 0])) as Record<MalformedKind, number>;
}

/**
 * A malformed `up/telemetry` payload of `kind`, timed like a valid one where the kind still has a
 * time. Invalid JSON and CBOR ignore `format` (they are broken in that format by definition).
 */
export function malformedPayload(kind: MalformedKind, baseTimeMs: number, format: PayloadFormat): Buffer {
  switch (kind) {
    case 'invalid-json':
      // Cut off mid-record: starts like JSON, so it is parsed as JSON and fails.
      return Buffer.from(`[{"bt":${baseTimeMs / 1000},"n":"/3/0/9","v":`);
    case 'invalid-cbor':
      // An array header announcing two records, followed by half of one.
      return Buffer.from([0x82, 0xa2, 0x00, 0x66, 0x2f, 0x33]);
    case 'unknown-path':
      return encodePack([{ path: '/9999/0/1', value: 1 }], baseTimeMs, format);
    case 'out-of-range':
      return encodePack([{ path: '/3/0/9', value: 140, unit: '%' }], baseTimeMs, format);
    case 'wrong-type':
      return encodePack([{ path: '/3/0/9', value: '87', unit: '%' }], baseTimeMs, format);
    case 'oversize':
      return oversizePack(baseTimeMs, format);
    default: {
      const unknown: never = kind;
      throw new Error(`unknown malformed kind ${String(unknown)}`);
    }
  }
}

/** A well-formed pack of valid readings, just over the protocol's 8 KiB limit. */
function oversizePack(baseTimeMs: number, format: PayloadFormat): Buffer {
  const records: PackRecord[] = [];
  for (;;) {
    for (let i = 0; i < 50; i++) records.push({ path: '/3303/0/5700', value: 20 + i / 100, unit: 'Cel' });
    const payload = encodePack(records, baseTimeMs, format);
    if (payload.length > MAX_UPLINK_BYTES) return payload;
  }
}

/**
 * Decides which uplinks are replaced by malformed ones: each with probability `rate`, the kinds in
 * turn, so every kind is sent about equally often. One cycle is shared by the whole fleet.
 */
export class MalformedCycle {
  private index = 0;

  constructor(
    private readonly rate: number,
    private readonly random: Random,
  ) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`malformedRate must be 0..1, got ${rate}`);
  }

  /** The kind to send instead of the next valid uplink, or undefined to send it as is. */
  next(): MalformedKind | undefined {
    if (this.rate === 0 || this.random() >= this.rate) return undefined;
    const kind = MALFORMED_KINDS[this.index % MALFORMED_KINDS.length];
    this.index++;
    return kind;
  }
}
