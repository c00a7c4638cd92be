import { Encoder } from 'cbor-x';
import { decodeCommandResponse } from './command-response';
import { json, rejectionOf } from './rejection.test-support';

const now = Date.parse('2026-05-01T12:00:00Z');
const decode = (value: unknown) => decodeCommandResponse(json(value), { now });

describe('command responses (up/ack)', () => {
  it('given a succeeded read, when decoded, then its values are resolved SenML records', () => {
    expect(
      decode({ id: 'c-1', status: 'succeeded', code: '2.05', values: [{ n: '/3/0/9', v: 80 }] }),
    ).toEqual({
      id: 'c-1',
      status: 'succeeded',
      code: '2.05',
      reason: null,
      values: [{ path: '/3/0/9', timeMs: null, value: 80, unit: null }],
      observation: null,
    });
  });

  it('given a failure, when decoded, then code and reason are kept', () => {
    expect(
      decode({ id: 'c-2', status: 'failed', code: '4.05', reason: 'resource is read-only' }),
    ).toMatchObject({
      status: 'failed',
      code: '4.05',
      reason: 'resource is read-only',
      values: [],
    });
  });

  it('given an observe notification, when decoded, then the token and relative times are resolved', () => {
    const response = decode({
      id: 'c-3',
      status: 'succeeded',
      code: '2.05',
      observation: 'tok',
      values: [{ n: '/3/0/9', v: 79, t: -5 }],
    });

    expect(response.observation).toBe('tok');
    expect(response.values[0]?.timeMs).toBe(now - 5000);
  });

  it('given a queued command without code, when decoded, then it is received with a null code', () => {
    expect(decode({ id: 'c-4', status: 'received' })).toMatchObject({ status: 'received', code: null });
  });

  it('given the same map in CBOR with text keys, when decoded, then it equals the JSON form', () => {
    const payload = new Encoder({ useRecords: false }).encode({
      id: 'c-1',
      status: 'succeeded',
      code: '2.04',
    });

    expect(decodeCommandResponse(payload, { now })).toMatchObject({
      id: 'c-1',
      status: 'succeeded',
      code: '2.04',
    });
  });

  it.each([
    [
      { status: 'succeeded', code: '2.05' },
      'invalid command response: id: Invalid input: expected string, received undefined',
    ],
    [
      { id: 'c', status: 'done', code: '2.05' },
      'invalid command response: status: Invalid option: expected one of "received"|"succeeded"|"failed"',
    ],
    [{ id: 'c', status: 'succeeded' }, 'invalid command response: code: required when status is succeeded'],
    [
      { id: 'c', status: 'succeeded', code: '4.04' },
      'invalid command response: code: 4.04 does not fit status succeeded (expected class 2)',
    ],
    [
      { id: 'c', status: 'failed', code: '2.05' },
      'invalid command response: code: 2.05 does not fit status failed (expected class 4 or 5)',
    ],
    [
      { id: 'c', status: 'failed', code: '404' },
      'invalid command response: code: must be a CoAP response code such as 2.05',
    ],
    [
      { id: 'c', status: 'failed', code: '4.00', values: [] },
      'invalid command response: values: only a succeeded command returns values',
    ],
  ])('given %j, when decoded, then it is refused: %s', (value, reason) => {
    expect(rejectionOf(() => decode(value))).toMatchObject({ code: 'malformed', reason });
  });

  it('given values that are not a valid pack, when decoded, then the SenML reason is given', () => {
    expect(
      rejectionOf(() => decode({ id: 'c', status: 'succeeded', code: '2.05', values: [{ v: 1 }] })).reason,
    ).toBe('record 1 has no name (neither bn nor n)');
  });
});
