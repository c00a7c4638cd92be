import { Writable } from 'node:stream';
import { createLogger, scrubSecrets } from './logging';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes JSON lines carrying the service and a level name', () => {
    const { stream, lines } = capture();
    createLogger({ service: 'alerting', stream }).info({ deviceId: 'd-1' }, 'hello');
    expect(lines()[0]).toMatchObject({ service: 'alerting', level: 'info', deviceId: 'd-1', msg: 'hello' });
  });

  it('redacts the authorization header and secret or password fields at any depth', () => {
    const { stream, lines } = capture();
    createLogger({ service: 's', stream }).info(
      {
        req: { headers: { authorization: 'Bearer abc', accept: '*/*' } },
        kafka: { sasl: { password: 'p', username: 'u' } },
        clientSecret: 'c',
        nested: [{ dbPassword: 'x' }],
      },
      'connecting',
    );
    const line = JSON.stringify(lines()[0]);
    expect(line).not.toMatch(/abc|"p"|"c"|"x"/);
    expect(lines()[0]).toMatchObject({
      req: { headers: { authorization: '[Redacted]', accept: '*/*' } },
      kafka: { sasl: { password: '[Redacted]', username: 'u' } },
      clientSecret: '[Redacted]',
      nested: [{ dbPassword: '[Redacted]' }],
    });
  });
});

describe('scrubSecrets', () => {
  it('does not mutate its input nor walk class instances', () => {
    const input = { secret: 's', when: new Date(0) };
    const output = scrubSecrets(input) as Record<string, unknown>;
    expect(input.secret).toBe('s');
    expect(output).toEqual({ secret: '[Redacted]', when: new Date(0) });
    expect(output['when']).toBe(input.when);
  });
});
