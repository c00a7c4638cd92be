import { Encoder } from 'cbor-x';
import { decodeSenml, encodeSenml, resolveSenmlPack } from './senml';
import { json, rejectionOf } from './rejection.test-support';

const now = Date.parse('2026-05-01T12:00:00Z');
const cbor = new Encoder({ useRecords: false, mapsAsObjects: false });
const labelled = (...records: [number, unknown][][]) => cbor.encode(records.map((r) => new Map(r)));

describe('SenML decoding', () => {
  it('given the example pack of the spec, when decoded, then bn + n form the paths and units carry over', () => {
    const payload = Buffer.from(
      '[{"bn":"/3/0/","n":"9","v":87},{"bn":"/4/0/","n":"2","v":-97},{"n":"/3303/0/5700","v":21.5,"u":"Cel"}]',
    );

    expect(decodeSenml(payload, { now })).toEqual([
      { path: '/3/0/9', timeMs: null, value: 87, unit: null },
      { path: '/4/0/2', timeMs: null, value: -97, unit: null },
      { path: '/4/0//3303/0/5700', timeMs: null, value: 21.5, unit: 'Cel' },
    ]);
  });

  it('given a base name then records without one, when decoded, then the base name applies until replaced', () => {
    const pack = [
      { bn: '/3/0/', n: '9', v: 80 },
      { n: '7', v: 3700 },
      { bn: '', n: '/3303/1/5700', v: 20 },
    ];

    expect(decodeSenml(json(pack), { now }).map((r) => r.path)).toEqual(['/3/0/9', '/3/0/7', '/3303/1/5700']);
  });

  it('given SenML CBOR with RFC 8428 integer labels, when decoded, then it equals the JSON form', () => {
    const payload = labelled(
      [
        [-2, '/3/0/'],
        [-3, 1_777_636_800],
        [-4, '%'],
        [0, '9'],
        [2, 87],
      ],
      [
        [0, '3'],
        [3, '1.4.2'],
      ],
      [
        [0, '/26242/0/3'],
        [4, true],
        [6, 60],
      ],
    );

    expect(decodeSenml(payload, { now })).toEqual([
      { path: '/3/0/9', timeMs: 1_777_636_800_000, value: 87, unit: '%' },
      { path: '/3/0/3', timeMs: 1_777_636_800_000, value: '1.4.2', unit: '%' },
      { path: '/3/0//26242/0/3', timeMs: 1_777_636_860_000, value: true, unit: '%' },
    ]);
  });

  it('given SenML CBOR with text labels, when decoded, then they are accepted too', () => {
    const payload = cbor.encode([
      new Map<string, unknown>([
        ['n', '/3/0/9'],
        ['v', 55],
      ]),
    ]);

    expect(decodeSenml(payload, { now })).toEqual([{ path: '/3/0/9', timeMs: null, value: 55, unit: null }]);
  });

  it('given integer-like text keys in JSON, when decoded, then they are not taken for CBOR labels', () => {
    expect(rejectionOf(() => decodeSenml(json([{ '0': '/3/0/9', '2': 5 }]), { now })).reason).toBe(
      'record 1 has no name (neither bn nor n)',
    );
  });

  describe('times (RFC 8428 §4.5.3)', () => {
    it('given bt and t, when decoded, then the time is their sum in epoch milliseconds', () => {
      const records = decodeSenml(json([{ bt: 1_777_636_800, n: '/3/0/9', v: 1, t: 1.5 }]), { now });

      expect(records[0]?.timeMs).toBe(1_777_636_801_500);
    });

    it('given a negative time, when decoded, then it is relative to now', () => {
      const records = decodeSenml(json([{ n: '/3/0/9', v: 1, t: -60 }]), { now });

      expect(records[0]?.timeMs).toBe(now - 60_000);
    });

    it('given a small positive time (below 2^28 s), when decoded, then it is relative to now as well', () => {
      const records = decodeSenml(json([{ bt: 10, n: '/3/0/9', v: 1 }]), { now });

      expect(records[0]?.timeMs).toBe(now + 10_000);
    });

    it('given a time the ISO calendar cannot write, when decoded, then it is out of range', () => {
      const error = rejectionOf(() => decodeSenml(json([{ n: '/3/0/9', v: 1, t: 1e300 }]), { now }));

      expect(error).toMatchObject({ code: 'out-of-range' });
      expect(error.reason).toBe('record 1 ("/3/0/9"): time 1e+300 s is not between 1970 and 9999');
    });

    it('given a time that is not a number, when decoded, then it is malformed', () => {
      expect(rejectionOf(() => decodeSenml(json([{ n: '/3/0/9', v: 1, t: 'now' }]), { now })).reason).toBe(
        'record 1: t must be a finite number, got "now"',
      );
    });
  });

  it('given a base value, when decoded, then it is added to v (RFC 8428 §4.5.2)', () => {
    expect(decodeSenml(json([{ bv: 20, n: '/3303/0/5700', v: 1.5 }]), { now })[0]?.value).toBe(21.5);
  });

  it('given a record with its own unit after a base unit, when decoded, then its own unit wins', () => {
    const records = decodeSenml(
      json([
        { bu: '%', n: '/3/0/9', v: 1 },
        { n: '/3/0/7', v: 3700, u: 'mV' },
      ]),
      { now },
    );

    expect(records.map((r) => r.unit)).toEqual(['%', 'mV']);
  });

  it.each([
    [{}, 'record 1 has no name (neither bn nor n)'],
    [{ n: '/3/0/9' }, 'record 1 ("/3/0/9") has no value (v, vs or vb)'],
    [{ n: '/3/0/9', v: 1, vs: 'x' }, 'record 1 ("/3/0/9") has more than one of v, vs and vb'],
    [{ n: '/3/0/9', v: '87' }, 'record 1: v must be a finite number, got "87"'],
    [{ n: 9, v: 87 }, 'record 1: n must be a string, got 9'],
    [{ n: '/3/0/9', vb: 'true' }, 'record 1: vb must be a boolean, got "true"'],
    [{ n: '/3/0/9', v: 1, u: null }, 'record 1: u must be a string, got null'],
    [{ n: '/3/0/9', v: 1, foo_: 1 }, 'record 1: unsupported must-understand label "foo_"'],
  ])('given the record %j, when decoded, then it is malformed: %s', (record, reason) => {
    expect(rejectionOf(() => decodeSenml(json([record]), { now }))).toMatchObject({
      code: 'malformed',
      reason,
    });
  });

  it('given a data value (vd), when decoded, then it is refused as a type Fleetwise has no resource for', () => {
    expect(rejectionOf(() => decodeSenml(json([{ n: '/3/0/9', vd: 'AAE=' }]), { now }))).toMatchObject({
      code: 'wrong-type',
    });
  });

  it('given a JSON object instead of an array, when decoded, then the reason says a pack is an array', () => {
    expect(rejectionOf(() => decodeSenml(json({ n: '/3/0/9', v: 1 }), { now })).reason).toBe(
      'a SenML pack is an array of records, got an object (Object)',
    );
  });

  it('given an empty pack, when decoded, then there are no records', () => {
    expect(decodeSenml(Buffer.from(' [] '), { now })).toEqual([]);
  });
});

describe('SenML encoding', () => {
  const records = [
    { path: '/3/0/9', value: 87, unit: '%', timeMs: 1_777_636_800_000 },
    { path: '/3/0/3', value: '1.4.2' },
    { path: '/26242/0/3', value: false },
  ];

  it.each(['json', 'cbor'] as const)(
    'given records, when encoded as %s and decoded, then they round-trip',
    (format) => {
      expect(decodeSenml(encodeSenml(records, format), { now })).toEqual([
        { path: '/3/0/9', value: 87, unit: '%', timeMs: 1_777_636_800_000 },
        { path: '/3/0/3', value: '1.4.2', unit: null, timeMs: null },
        { path: '/26242/0/3', value: false, unit: null, timeMs: null },
      ]);
    },
  );

  it('given records, when encoded as CBOR, then the labels are the RFC 8428 integers', () => {
    const bytes = encodeSenml([{ path: '/3/0/9', value: 87 }], 'cbor');

    expect(bytes.toString('hex')).toBe('81a200662f332f302f39021857');
  });

  it('given a non-finite number, when encoded, then it is refused rather than written as null', () => {
    expect(() => encodeSenml([{ path: '/3/0/9', value: Number.NaN }], 'json')).toThrow('cannot be encoded');
  });

  it('given an already parsed pack, when resolved, then no bytes are needed', () => {
    expect(resolveSenmlPack([{ n: '/3/0/9', v: 1 }], { now, format: 'json' })).toHaveLength(1);
  });
});
