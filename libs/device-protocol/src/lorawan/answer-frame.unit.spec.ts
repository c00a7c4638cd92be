import { ValidationError } from '@fleet/core';
import { rejectionOf } from '../rejection.test-support';
import {
  decodeLorawanAnswer,
  encodeLorawanAnswer,
  LORAWAN_ANSWER_FPORT,
  lorawanAnswerResponse,
  lorawanTagCommandId,
  parseLorawanTagCommandId,
} from './answer-frame';

const hex = (bytes: Buffer) => bytes.toString('hex');

describe('LoRaWAN answer frame', () => {
  it('is sent on fPort 11', () => {
    expect(LORAWAN_ANSWER_FPORT).toBe(11);
  });

  it('given a read result, when encoded, then status, tag, CoAP code byte and typed values follow each other', () => {
    const frame = encodeLorawanAnswer(0x1234, 'succeeded', '2.05', [{ path: '/3/0/9', value: 87 }]);

    expect(hex(frame)).toBe(
      '01' + '1234' + '45' + '01' + '03' + '0003' + '0000' + '0009' + '01' + '00000057',
    );
  });

  it('given a failure, when encoded, then the code is class 4 and the reason follows', () => {
    expect(hex(encodeLorawanAnswer(1, 'failed', '4.05', [], { reason: 'no' }))).toBe(
      '02' + '0001' + '85' + '02' + '6e6f',
    );
  });

  it('given a received answer, when encoded, then it is four bytes with code 0', () => {
    expect(hex(encodeLorawanAnswer(9, 'received', null))).toBe('00000900');
  });

  it.each([
    { tag: 0, status: 'received' as const, code: null, reason: null, values: [], notification: false },
    { tag: 1, status: 'succeeded' as const, code: '2.04', reason: null, values: [], notification: false },
    {
      tag: 2,
      status: 'succeeded' as const,
      code: '2.05',
      reason: null,
      values: [
        { path: '/3/0/3', value: '1.4.2' },
        { path: '/3303/0/5700', value: 21.5 },
        { path: '/26242/0/3', value: false },
        { path: '/3/0/6/1', value: 5 },
      ],
      notification: true,
    },
    {
      tag: 65535,
      status: 'failed' as const,
      code: '5.00',
      reason: 'flash write failed – retry',
      values: [],
      notification: false,
    },
    { tag: 3, status: 'failed' as const, code: '4.04', reason: null, values: [], notification: false },
  ])('given $status answer $tag, when encoded and decoded, then the same answer comes back', (answer) => {
    const frame = encodeLorawanAnswer(answer.tag, answer.status, answer.code, answer.values, {
      reason: answer.reason ?? undefined,
      notification: answer.notification,
    });

    expect(decodeLorawanAnswer(frame)).toEqual(answer);
  });

  it.each([
    [() => encodeLorawanAnswer(1, 'succeeded', '4.04'), 'code 4.04 does not fit status succeeded'],
    [() => encodeLorawanAnswer(1, 'failed', '2.05'), 'code 2.05 does not fit status failed'],
    [() => encodeLorawanAnswer(1, 'failed', '4.32'), 'code 4.32 does not fit status failed'],
    [() => encodeLorawanAnswer(1, 'received', '2.05'), 'a received answer has no code'],
    [
      () => encodeLorawanAnswer(1, 'failed', '4.00', [{ path: '/3/0/9', value: 1 }]),
      'only a succeeded command returns values',
    ],
    [
      () => encodeLorawanAnswer(1, 'failed', '4.00', [], { notification: true }),
      'only a succeeded answer can be a notification',
    ],
    [() => encodeLorawanAnswer(70_000, 'received', null), 'tag 70000 is not 0-65535'],
  ])('given an inconsistent answer, when encoded, then it is refused', (encode, message) => {
    expect(encode).toThrow(new ValidationError(message));
  });

  it.each([
    ['03000100', 'LoRaWAN answer frame: unknown status 3'],
    ['82000185', 'LoRaWAN answer frame: a failed answer cannot be a notification'],
    ['00000145', 'LoRaWAN answer frame: a received answer has code 0'],
    ['01000185', 'LoRaWAN answer frame: code class 4 does not fit status succeeded'],
    ['0100014501020003000001', 'LoRaWAN answer frame: value 1 path has 2 levels (expected 3-4)'],
    ['01000145', 'LoRaWAN answer frame: ends inside value count'],
    ['010001450000', 'LoRaWAN answer frame: 1 unexpected byte at the end'],
  ])('given the bytes %s, when decoded, then the reason says what is wrong', (bytes, reason) => {
    expect(rejectionOf(() => decodeLorawanAnswer(Buffer.from(bytes, 'hex')))).toMatchObject({
      code: 'malformed',
      reason,
    });
  });

  it('given a notification, when it becomes a command response, then id and observation are the tag id', () => {
    const answer = decodeLorawanAnswer(
      encodeLorawanAnswer(513, 'succeeded', '2.05', [{ path: '/3/0/9', value: 80 }], { notification: true }),
    );

    expect(lorawanAnswerResponse(answer)).toEqual({
      id: 'lorawan-tag:513',
      status: 'succeeded',
      code: '2.05',
      reason: null,
      values: [{ path: '/3/0/9', value: 80, timeMs: null, unit: null }],
      observation: 'lorawan-tag:513',
    });
  });

  it('given tag ids, when parsed, then only lorawan-tag:<0-65535> gives a tag', () => {
    expect(lorawanTagCommandId(42)).toBe('lorawan-tag:42');
    expect(parseLorawanTagCommandId('lorawan-tag:42')).toBe(42);
    expect(parseLorawanTagCommandId('lorawan-tag:65535')).toBe(65535);
    expect(parseLorawanTagCommandId('lorawan-tag:65536')).toBeNull();
    expect(parseLorawanTagCommandId('lorawan-tag:042')).toBeNull();
    expect(parseLorawanTagCommandId('cmd-1')).toBeNull();
  });
});
