import { ValidationError } from '@fleet/core';
import type { DeviceOperationRequest } from '../operations';
import { rejectionOf } from '../rejection.test-support';
import { decodeLorawanCommand, encodeLorawanCommand, LORAWAN_COMMAND_FPORT } from './command-frame';

const request = (
  extra: Partial<DeviceOperationRequest> & Pick<DeviceOperationRequest, 'operation' | 'path'>,
): DeviceOperationRequest => ({
  value: null,
  arguments: null,
  attributes: null,
  instanceValues: null,
  ...extra,
});
const hex = (bytes: Buffer) => bytes.toString('hex');

describe('LoRaWAN command frame', () => {
  it('is sent on fPort 10', () => {
    expect(LORAWAN_COMMAND_FPORT).toBe(10);
  });

  it('given a read of the battery, when encoded, then it is operation, tag, levels and ids in 10 bytes', () => {
    const frame = encodeLorawanCommand(0x1234, request({ operation: 'read', path: '/3/0/9' }));

    expect(hex(frame)).toBe('01' + '1234' + '03' + '0003' + '0000' + '0009');
  });

  it('given a write of an integer, when encoded, then the value is an int32 after its type byte', () => {
    const frame = encodeLorawanCommand(7, request({ operation: 'write', path: '/26241/0/2', value: 600 }));

    expect(hex(frame)).toBe('02' + '0007' + '03' + '6681' + '0000' + '0002' + '01' + '00000258');
  });

  it('given an execute without arguments, when encoded, then a zero length byte ends the frame', () => {
    expect(hex(encodeLorawanCommand(1, request({ operation: 'execute', path: '/3/0/4' })))).toBe(
      '05' + '0001' + '03' + '0003' + '0000' + '0004' + '00',
    );
  });

  it('given an observe with pmin and gt, when encoded, then a flag byte says which attributes follow', () => {
    const frame = encodeLorawanCommand(
      2,
      request({ operation: 'observe', path: '/3/0/9', attributes: { pmin: 60, gt: 80.5 } }),
    );

    expect(hex(frame)).toBe(
      '07' + '0002' + '03' + '0003' + '0000' + '0009' + '05' + '0000003c' + '02' + '4054200000000000',
    );
  });

  it.each([
    request({ operation: 'read', path: '/3' }),
    request({ operation: 'discover', path: '/3/0' }),
    request({ operation: 'cancel-observe', path: '/3303/1/5700' }),
    request({ operation: 'delete', path: '/3303/1' }),
    request({ operation: 'write', path: '/3/0/13', value: 1_780_000_000_123 }),
    request({ operation: 'write', path: '/26242/0/4', value: -14.5 }),
    request({ operation: 'write', path: '/26242/0/3', value: true }),
    request({ operation: 'write', path: '/26241/0/0', value: 'Chaufferie – nord' }),
    request({ operation: 'write', path: '/5/0/1', value: '' }),
    request({ operation: 'execute', path: '/3/0/4', arguments: "0='2026-06-01T00:00:00Z'" }),
    request({
      operation: 'observe',
      path: '/3/0/9',
      attributes: { pmin: 0, pmax: 86_400, gt: 80, lt: -3.25, st: 1 },
    }),
    request({ operation: 'observe', path: '/3/0/9' }),
    request({ operation: 'create', path: '/3303', instanceValues: { '5700': 21.5, '5701': 'Cel' } }),
    request({ operation: 'create', path: '/3303/2' }),
  ])('given %j, when encoded and decoded, then the same request comes back', (original) => {
    expect(decodeLorawanCommand(encodeLorawanCommand(65535, original))).toEqual({
      tag: 65535,
      request: original,
    });
  });

  it('given a long string value, when encoded, then the frame grows with it and still decodes', () => {
    const value = 'x'.repeat(200);
    const frame = encodeLorawanCommand(3, request({ operation: 'write', path: '/5/0/1', value }));

    expect(frame.length).toBe(1 + 2 + 7 + 2 + 200);
    expect(decodeLorawanCommand(frame).request.value).toBe(value);
  });

  it.each([
    [-1, request({ operation: 'read', path: '/3/0/9' }), 'tag -1 is not 0-65535'],
    [65536, request({ operation: 'read', path: '/3/0/9' }), 'tag 65536 is not 0-65535'],
    [1, request({ operation: 'read', path: '3/0/9' }), '"3/0/9" is not an LwM2M path'],
    [1, request({ operation: 'write', path: '/3/0/13' }), 'write /3/0/13 needs a value'],
    [
      1,
      request({ operation: 'write', path: '/5/0/1', value: 'é'.repeat(200) }),
      'value: 400 bytes exceed the 255 a frame carries',
    ],
    [
      1,
      request({ operation: 'execute', path: '/3/0/4', arguments: 'été' }),
      'arguments must be printable ASCII',
    ],
    [
      1,
      request({ operation: 'observe', path: '/3/0/9', attributes: { pmin: -5 } }),
      'attributes.pmin: -5 is not a whole number of seconds 0-4294967295',
    ],
  ])('given tag %d and %j, when encoded, then it is refused', (tag, bad, message) => {
    expect(() => encodeLorawanCommand(tag, bad)).toThrow(new ValidationError(message));
  });

  it('given a create whose values exceed 242 bytes, when encoded, then no data rate could carry it', () => {
    const instanceValues = { '1': 'a'.repeat(120), '2': 'b'.repeat(120) };

    expect(() =>
      encodeLorawanCommand(1, request({ operation: 'create', path: '/3303', instanceValues })),
    ).toThrow('the command frame needs 255 bytes; no data rate carries more than 242');
  });

  it.each([
    ['', 'LoRaWAN command frame: ends inside operation'],
    ['09000103000300000009', 'LoRaWAN command frame: unknown operation code 9'],
    ['010001040003000000090001', 'LoRaWAN command frame: path has 4 levels (expected 1-3)'],
    ['0100010300030000', 'LoRaWAN command frame: ends inside path'],
    ['01000101ffff', 'LoRaWAN command frame: path: id 65535 is reserved'],
    ['0100010100030a', 'LoRaWAN command frame: 1 unexpected byte at the end'],
    ['02000101000309', 'LoRaWAN command frame: value: unknown value type 9'],
    ['0200010100030302', 'LoRaWAN command frame: value: boolean byte 2 is not 0 or 1'],
    ['020001010003027ff0000000000000', 'LoRaWAN command frame: value is not a finite number'],
    ['0200010100030402c3', 'LoRaWAN command frame: ends inside value'],
    ['0200010100030401ff', 'LoRaWAN command frame: value is not valid UTF-8'],
    ['05000101000301e9', 'LoRaWAN command frame: arguments are not printable ASCII'],
    ['07000101000320', 'LoRaWAN command frame: attribute flags 32 set unknown bits'],
    ['070001010003040301', 'LoRaWAN command frame: gt must be a number'],
  ])('given the bytes %s, when decoded, then the reason says what is wrong', (bytes, reason) => {
    const rejection = rejectionOf(() => decodeLorawanCommand(Buffer.from(bytes, 'hex')));

    expect(rejection).toMatchObject({ code: 'malformed', reason });
  });
});
