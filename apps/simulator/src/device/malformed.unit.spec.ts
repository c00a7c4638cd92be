import { decodeSenml, toDeviceTelemetry, UplinkRejectedError } from '@fleet/device-protocol';
import { EXPECTED_REJECTION, MALFORMED_KINDS, MalformedCycle, malformedPayload } from './malformed';
import { seededRandom } from './random';

const now = Date.parse('2026-05-01T12:00:00Z');

/** What ingestion does with an `up/telemetry` payload. */
function ingest(payload: Buffer, contentType?: string) {
  return toDeviceTelemetry(decodeSenml(payload, { now, contentType }), {
    deviceId: 'd-1',
    messageId: 'm-1',
    receivedAt: now,
    source: 'mqtt',
  });
}

function rejectionOf(payload: Buffer, contentType?: string): string {
  try {
    ingest(payload, contentType);
  } catch (error) {
    if (error instanceof UplinkRejectedError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('malformed uplinks', () => {
  const cases = MALFORMED_KINDS.flatMap((kind) =>
    (['json', 'cbor'] as const).map((format) => [kind, format] as const),
  );

  it.each(cases)(
    'given %s (%s), when ingested, then it is rejected with the expected code',
    (kind, format) => {
      expect(rejectionOf(malformedPayload(kind, now, format))).toBe(EXPECTED_REJECTION[kind]);
    },
  );

  it.each(['application/senml+json', 'application/senml+cbor'])(
    'given invalid JSON and CBOR, when sent with MQTT 5 content type %s, then they are still rejected',
    (contentType) => {
      expect(rejectionOf(malformedPayload('invalid-json', now, 'json'), contentType)).toBe('malformed');
      expect(rejectionOf(malformedPayload('invalid-cbor', now, 'cbor'), contentType)).toBe('malformed');
    },
  );

  it('given the oversize kind, when encoded, then it is just over 8 KiB', () => {
    const size = malformedPayload('oversize', now, 'json').length;
    expect(size).toBeGreaterThan(8192);
    expect(size).toBeLessThan(12_000);
  });

  it('given rate 1, when drawing, then the kinds come in turn', () => {
    const cycle = new MalformedCycle(1, seededRandom(1));
    const drawn = Array.from({ length: 12 }, () => cycle.next());
    expect(drawn).toEqual([...MALFORMED_KINDS, ...MALFORMED_KINDS]);
  });

  it('given rate 0, when drawing, then nothing is malformed', () => {
    const cycle = new MalformedCycle(0, seededRandom(1));
    expect(Array.from({ length: 100 }, () => cycle.next()).every((k) => k === undefined)).toBe(true);
  });

  it('given rate 0.1, when drawing 10000, then about a tenth is malformed', () => {
    const cycle = new MalformedCycle(0.1, seededRandom(9));
    const malformed = Array.from({ length: 10_000 }, () => cycle.next()).filter(
      (k) => k !== undefined,
    ).length;
    expect(malformed).toBeGreaterThan(850);
    expect(malformed).toBeLessThan(1150);
  });

  it('given a rate outside 0..1, when creating the cycle, then it is refused', () => {
    expect(() => new MalformedCycle(1.5, seededRandom(1))).toThrow(RangeError);
  });
});
