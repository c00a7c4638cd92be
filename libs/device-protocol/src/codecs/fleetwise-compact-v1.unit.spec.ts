import { ValidationError } from '@fleet/core';
import { rejectionOf } from '../rejection.test-support';
import { codecForModel } from './codec-registry';
import { fleetwiseCompactV1 } from './fleetwise-compact-v1';

const now = Date.parse('2026-05-01T12:00:00Z');

describe('fleetwise-compact-v1', () => {
  it('given fPort 1 bytes, when decoded, then battery, temperature and energy come out with their units', () => {
    // 87 %, 0x0866 = 2150 → 21.50 °C, 0x00003039 = 12345 Wh.
    expect(fleetwiseCompactV1.decode(1, Buffer.from('57086600003039', 'hex'), now)).toEqual([
      { path: '/3/0/9', timeMs: null, value: 87, unit: '%' },
      { path: '/3303/0/5700', timeMs: null, value: 21.5, unit: 'Cel' },
      { path: '/3331/0/5805', timeMs: null, value: 12345, unit: 'Wh' },
    ]);
  });

  it('given a negative temperature, when decoded, then the int16 sign is kept', () => {
    const [, temperature] = fleetwiseCompactV1.decode(1, Buffer.from('64ff0600000000', 'hex'), now);

    expect(temperature?.value).toBe(-2.5);
  });

  it('given fPort 2 bytes, when decoded, then they are the firmware version', () => {
    expect(fleetwiseCompactV1.decode(2, Buffer.from('1.4.2'), now)).toEqual([
      { path: '/3/0/3', timeMs: null, value: '1.4.2', unit: null },
    ]);
  });

  it.each([
    [1, '570866', 'fleetwise-compact-v1: fPort 1 carries 7 bytes (battery, temperature, energy), got 3'],
    [2, '', 'fleetwise-compact-v1: fPort 2 carries a firmware version of 1-64 bytes, got 0'],
    [2, '312e00', 'fleetwise-compact-v1: firmware version "1.\\u0000" is not printable ASCII'],
    [3, '00', 'fleetwise-compact-v1: unknown fPort 3 (1 measurements, 2 state)'],
  ])('given fPort %d and bytes %s, when decoded, then it is malformed: %s', (fPort, hex, reason) => {
    expect(rejectionOf(() => fleetwiseCompactV1.decode(fPort, Buffer.from(hex, 'hex'), now))).toMatchObject({
      code: 'malformed',
      reason,
    });
  });

  it('given measurements, when encoded and decoded, then they round-trip at the fields’ resolution', () => {
    const { fPort, bytes } = fleetwiseCompactV1.encode([
      { path: '/3/0/9', value: 87 },
      { path: '/3303/0/5700', value: 21.504 },
      { path: '/3331/0/5805', value: 12345 },
    ]);

    expect(fPort).toBe(1);
    expect(bytes.toString('hex')).toBe('57086600003039');
  });

  it('given a firmware version, when encoded, then it goes on fPort 2', () => {
    expect(fleetwiseCompactV1.encode([{ path: '/3/0/3', value: '2.0.0' }])).toEqual({
      fPort: 2,
      bytes: Buffer.from('2.0.0'),
    });
  });

  it.each([
    [[{ path: '/3/0/9', value: 87 }], '/3303/0/5700 temperature × 100 is missing'],
    [
      [
        { path: '/3/0/9', value: 300 },
        { path: '/3303/0/5700', value: 1 },
        { path: '/3331/0/5805', value: 1 },
      ],
      '/3/0/9 battery % 300 does not fit 0..255',
    ],
    [[{ path: '/3/0/3', value: 'é' }], 'firmware version must be 1-64 printable ASCII characters'],
  ])(
    'given records the layout cannot hold (%#), when encoded, then it is a ValidationError',
    (records, fragment) => {
      expect(() => fleetwiseCompactV1.encode(records)).toThrow(ValidationError);
      expect(() => fleetwiseCompactV1.encode(records)).toThrow(fragment);
    },
  );
});

describe('codec registry', () => {
  it.each([
    ['FW-LORA-T1', 'fleetwise-compact-v1'],
    ['FW-LORA', 'fleetwise-compact-v1'],
    ['WM-200', 'senml-cbor'],
    ['fw-lora-t1', 'senml-cbor'],
  ])('given model %s, when its codec is chosen, then it is %s', (model, name) => {
    expect(codecForModel(model).name).toBe(name);
  });
});
