import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { Body, Controller, Get, INestApplication, Module, Post } from '@nestjs/common';
import { ConcurrencyError, IllegalStateError } from '@fleet/core';
import {
  bootstrapHttpService,
  HealthChecks,
  Metrics,
  ObservabilityModule,
  parseBody,
  withHttpStatus,
} from '@fleet/observability';
import { z } from 'zod';

const logLines: string[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});

@Controller('things')
class ThingsController {
  constructor(private readonly metrics: Metrics) {}

  @Post()
  create(@Body() body: unknown): { serial: string } {
    this.metrics.counter('things_created_total', 'Things created').inc();
    return parseBody(z.object({ serial: z.string() }), body);
  }

  @Post(':id/retire')
  retire(): never {
    throw new IllegalStateError('thing is already retired', { state: 'retired' });
  }

  @Post(':id/rename')
  rename(): never {
    throw withHttpStatus(new ConcurrencyError('thing-1', '2', '3'), 412);
  }

  @Get('boom')
  boom(): never {
    throw new Error('password=hunter2 at db.internal:5432');
  }
}

@Module({
  imports: [ObservabilityModule.forRoot({ service: 'things', logLevel: 'info', logStream })],
  controllers: [ThingsController],
})
class ThingsModule {}

describe('ObservabilityModule over HTTP', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    app = await bootstrapHttpService(ThingsModule, { service: 'things', port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(() => app.close());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(base + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('logs through pino, announcing where it listens', () => {
    const listening = logLines.map((line) => JSON.parse(line)).find((line) => /listening on/.test(line.msg));
    expect(listening).toMatchObject({
      service: 'things',
      msg: expect.stringMatching(/^things listening on http:\/\/127\.0\.0\.1:\d+$/),
    });
  });

  it('maps domain errors to statuses with a stable body', async () => {
    const retire = await post('/things/t-1/retire', '{}');
    expect(retire.status).toBe(409);
    expect(await retire.json()).toEqual({
      statusCode: 409,
      error: 'ILLEGAL_STATE',
      message: 'thing is already retired',
      details: { state: 'retired' },
    });
    const rename = await post('/things/t-1/rename', '{}');
    expect(rename.status).toBe(412);
    expect(await rename.json()).toMatchObject({ statusCode: 412, error: 'WRONG_EXPECTED_REVISION' });
  });

  it('answers unknown routes with 404 in the same shape', async () => {
    const response = await fetch(`${base}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      statusCode: 404,
      error: 'NOT_FOUND',
      message: 'Cannot GET /nope',
    });
  });

  it('hides internal errors from clients but logs them with their stack and request id', async () => {
    const response = await fetch(`${base}/things/boom`, { headers: { 'x-request-id': 'req-42' } });
    expect(response.status).toBe(500);
    expect(response.headers.get('x-request-id')).toBe('req-42');
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      statusCode: 500,
      error: 'INTERNAL',
      message: 'internal server error',
    });
    expect(text).not.toContain('hunter2');
    const logged = logLines
      .map((line) => JSON.parse(line))
      .find((line) => line.msg === 'unhandled error on GET /things/boom');
    expect(logged).toMatchObject({ level: 'error', service: 'things', req: { id: 'req-42' } });
    expect(logged.err.stack).toContain('Error: password=hunter2');
  });

  it('logs one line per request with a generated id, without the credentials', async () => {
    const response = await post('/things', '{"serial":"SN-1"}', { authorization: 'Bearer secret-token' });
    expect(response.status).toBe(201);
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const line = logLines.find((l) => l.includes(id!) && l.includes('"POST /things 201"'));
    expect(line).toBeDefined();
    expect(line).not.toContain('secret-token');
    expect(JSON.parse(line!)).toMatchObject({
      service: 'things',
      req: { headers: { authorization: '[Redacted]' } },
    });
  });

  it('records request latency by route pattern, not by URL', async () => {
    await post('/things/t-123/retire', '{}');
    const text = await (await fetch(`${base}/metrics`)).text();
    const count = (labels: string) =>
      new RegExp(`^http_request_duration_seconds_count\\{service="things",${labels}\\} \\d+$`, 'm');
    expect(text).toMatch(count('method="POST",route="/things/:id/retire",status="409"'));
    expect(text).toMatch(count('method="GET",route="unmatched",status="404"'));
    expect(text).not.toContain('t-123');
    expect(text).toContain('things_created_total{service="things"} 1');
  });

  it('times out hanging readiness checks after 2 s', async () => {
    const health = app.get(HealthChecks);
    health.register('hangs', () => new Promise(() => undefined));
    const started = Date.now();
    const response = await fetch(`${base}/health/ready`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'not_ready',
      checks: { hangs: 'down' },
      errors: { hangs: 'hangs check timed out after 2000 ms' },
    });
    health.register('hangs', async () => undefined);
  });
});
