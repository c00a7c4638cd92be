import { Encoder } from 'cbor-x';
import { decodeCommandResponse } from './command-response';
import { decodeCommand, decodeDesiredConfiguration } from './commands';
import { UplinkRejectedError } from './errors';
import { parseChirpstackUplink } from './lorawan/chirpstack';
import { parseTtsUplink } from './lorawan/tts';
import { decodeSenml, encodeSenml } from './senml';
import { toDeviceTelemetry } from './telemetry';
import { json, rejectionOf } from './rejection.test-support';

const now = Date.parse('2026-05-01T12:00:00Z');
const context = { deviceId: 'd-1', messageId: 'm-1', receivedAt: now, source: 'mqtt' as const };
const cbor = new Encoder({ useRecords: false, mapsAsObjects: false });

/** Every entry point a device-controlled payload reaches. */
const decoders: [string, (payload: Buffer) => unknown][] = [
  ['telemetry', (payload) => toDeviceTelemetry(decodeSenml(payload, { now }), context)],
  ['command response', (payload) => decodeCommandResponse(payload, { now })],
  ['command', (payload) => decodeCommand(payload)],
  ['desired configuration', (payload) => decodeDesiredConfiguration(payload)],
  [
    'chirpstack',
    (payload) => parseChirpstackUplink(`application/${uuid}/device/0102030405060708/event/up`, payload),
  ],
  ['tts', (payload) => parseTtsUplink('v3/app-1@ttn/devices/dev-1/up', payload)],
];
const uuid = '17c82e96-be03-4f38-aef3-f83d48582d97';

/** Small seeded generator (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Passes when decoding either succeeds or throws UplinkRejectedError; anything else fails. */
function expectOnlyRejections(decode: (payload: Buffer) => unknown, payload: Buffer): void {
  try {
    decode(payload);
  } catch (error) {
    if (!(error instanceof UplinkRejectedError)) {
      throw new Error(`${payload.toString('hex').slice(0, 80)} threw ${String(error)}`);
    }
  }
}

const valid = [
  encodeSenml(
    [
      { path: '/3/0/9', value: 87, timeMs: now },
      { path: '/3/0/3', value: '1.0' },
    ],
    'cbor',
  ),
  encodeSenml([{ path: '/3303/0/5700', value: 21.5, unit: 'Cel' }], 'json'),
  json({ id: 'c-1', status: 'succeeded', code: '2.05', values: [{ n: '/3/0/9', v: 80 }] }),
  json({ version: 3, desired: { 'radio.adr': true } }),
];

describe.each(decoders)('hostile payloads: %s', (_name, decode) => {
  it('given 1500 random byte strings, when decoded, then each is decoded or rejected, never thrown otherwise', () => {
    const next = random(42);
    for (let i = 0; i < 1500; i++) {
      const bytes = Buffer.from(
        Array.from({ length: Math.floor(next() * 200) }, () => Math.floor(next() * 256)),
      );
      // Steer a third into each parser, past the format guess.
      const prefix = [[], [0x5b], [0x81, 0xa3]][i % 3] ?? [];
      expectOnlyRejections(decode, Buffer.concat([Buffer.from(prefix), bytes]));
    }
  });

  it('given valid payloads with random bytes flipped, when decoded, then they are decoded or rejected', () => {
    const next = random(7);
    for (let i = 0; i < 1500; i++) {
      const mutated = Buffer.from(valid[i % valid.length] ?? []);
      for (let flips = 1 + Math.floor(next() * 3); flips > 0; flips--) {
        mutated[Math.floor(next() * mutated.length)] = Math.floor(next() * 256);
      }
      expectOnlyRejections(decode, mutated);
    }
  });

  it.each([
    ['JSON nested 4000 deep', Buffer.from('['.repeat(4000) + ']'.repeat(4000))],
    ['CBOR nested 8000 deep', Buffer.concat([Buffer.alloc(8000, 0x81), Buffer.from([0x00])])],
    ['a CBOR self-reference', Buffer.from('d81c81d81d00', 'hex')],
    ['a CBOR array claiming 2^32 items', Buffer.from('9b0000000100000000', 'hex')],
    ['a JSON number too large for a double', Buffer.from('[{"n":"/3/0/9","v":1e400}]')],
    [
      'a CBOR NaN',
      cbor.encode([
        new Map<number, unknown>([
          [0, '/3/0/9'],
          [2, Number.NaN],
        ]),
      ]),
    ],
    [
      'a CBOR bigint',
      cbor.encode([
        new Map<number, unknown>([
          [0, '/3/0/9'],
          [2, 2n ** 70n],
        ]),
      ]),
    ],
    [
      'a CBOR Date',
      cbor.encode([
        new Map<number, unknown>([
          [0, '/3/0/9'],
          [2, new Date(0)],
        ]),
      ]),
    ],
    ['a CBOR Set', Buffer.from('d9010283010203', 'hex')],
    ['an empty payload', Buffer.alloc(0)],
    ['only whitespace', Buffer.from('   \n')],
    ['invalid UTF-8 in JSON', Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d])],
  ])('given %s, when decoded, then it is rejected', (_case, payload) => {
    expect(rejectionOf(() => decode(payload))).toBeInstanceOf(UplinkRejectedError);
  });

  it('given keys that target prototypes, when decoded, then no prototype is polluted', () => {
    const attacks: Buffer[] = [
      '[{"__proto__":{"polluted":true},"n":"/3/0/9","v":1}]',
      '[{"constructor":{"prototype":{"polluted":true}},"n":"/3/0/9","v":1}]',
      '{"__proto__":{"polluted":true},"id":"c","status":"received","version":1,"desired":{"__proto__":{"polluted":true}}}',
    ].map((text) => Buffer.from(text));
    attacks.push(cbor.encode([new Map<string, unknown>([['__proto__', new Map([['polluted', true]])]])]));
    for (const payload of attacks) expectOnlyRejections(decode, payload);

    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('hostile payloads: after the attacks', () => {
  it('given the shared CBOR decoder saw garbage, when a valid pack comes, then it decodes normally', () => {
    expect(decodeSenml(valid[0] ?? Buffer.alloc(0), { now })).toHaveLength(2);
  });
});
