import { payloadFormat } from './payload';
import { decodeSenml, encodeSenml } from './senml';
import { rejectionOf } from './rejection.test-support';

const now = Date.parse('2026-05-01T12:00:00Z');

describe('payload format', () => {
  it.each([
    ['[', 'json'],
    [' \n\t{', 'json'],
    ['\x81', 'cbor'],
    ['\xa2', 'cbor'],
    ['\xd9\xd9\xf7\x81', 'cbor'],
  ])('given bytes starting %j, when guessed, then the format is %s', (start, format) => {
    expect(payloadFormat(Buffer.from(start, 'latin1'))).toBe(format);
  });

  it('given CBOR bytes labelled as JSON by the content type, when decoded, then the content type wins', () => {
    const payload = encodeSenml([{ path: '/3/0/9', value: 1 }], 'cbor');

    expect(
      rejectionOf(() => decodeSenml(payload, { now, contentType: 'application/senml+json' })).reason,
    ).toMatch(/^payload is not valid (UTF-8|JSON)/);
  });

  it('given a content type with parameters or a CoAP content-format number, when decoded, then it is understood', () => {
    const payload = encodeSenml([{ path: '/3/0/9', value: 1 }], 'json');

    expect(decodeSenml(payload, { now, contentType: 'application/senml+json; charset=utf-8' })).toHaveLength(
      1,
    );
    expect(
      decodeSenml(encodeSenml([{ path: '/3/0/9', value: 1 }], 'cbor'), { now, contentType: '112' }),
    ).toHaveLength(1);
  });

  it('given an unsupported content type, when decoded, then it is refused by name', () => {
    expect(rejectionOf(() => decodeSenml(Buffer.from('[]'), { now, contentType: 'text/plain' })).reason).toBe(
      'unsupported content type "text/plain"',
    );
  });

  it('given invalid JSON, when decoded, then the parser message is in the reason', () => {
    expect(rejectionOf(() => decodeSenml(Buffer.from('[{"n":}]'), { now })).reason).toMatch(
      /^payload is not valid JSON: Unexpected token/,
    );
  });

  it('given 9000 bytes, when decoded, then it is too large before any parsing', () => {
    expect(rejectionOf(() => decodeSenml(Buffer.alloc(9000, 0x20), { now }))).toMatchObject({
      code: 'too-large',
      reason: 'payload too large: 9000 bytes > 8192',
    });
  });

  it('given bytes that are neither JSON nor CBOR, when decoded, then the first byte is named', () => {
    expect(rejectionOf(() => decodeSenml(Buffer.from('hello'), { now })).reason).toBe(
      'payload is neither JSON nor CBOR (first byte 0x68)',
    );
  });
});
