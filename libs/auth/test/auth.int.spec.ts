import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Body, Controller, Delete, Get, INestApplication, Module, Param, Post, Req } from '@nestjs/common';
import type { Actor } from '@fleet/core';
import {
  AuthModule,
  CurrentActor,
  ensureDevKeyPair,
  issueDevToken,
  Roles,
  type AuthenticatedRequest,
} from '@fleet/auth';
import {
  bootstrapHttpService,
  HealthChecks,
  Metrics,
  ObservabilityModule,
  parseBody,
  type ErrorBody,
} from '@fleet/observability';
import { generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { z } from 'zod';

const ProvisionDevice = z.object({ serial: z.string(), model: z.string() });

@Controller('devices')
class DevicesController {
  constructor(private readonly metrics: Metrics) {}

  @Get(':id')
  @Roles('admin', 'operator', 'support', 'viewer')
  get(@Param('id') id: string, @CurrentActor() actor: Actor): { id: string; actor: Actor } {
    return { id, actor };
  }

  @Post()
  @Roles('admin', 'operator')
  provision(@Body() body: unknown, @CurrentActor() actor: Actor, @Req() request: AuthenticatedRequest) {
    const command = parseBody(ProvisionDevice, body);
    this.metrics
      .counter('devices_provisioned_total', 'Devices provisioned', ['model'])
      .inc({ model: command.model });
    return { ...command, actor, requestActor: request.actor };
  }

  @Post(':id/decommission')
  @Roles('admin')
  decommission(@Param('id') id: string): { id: string } {
    return { id };
  }

  /** Forgotten @Roles: must be closed to everyone. */
  @Delete(':id')
  remove(): string {
    return 'removed';
  }
}

function appModule(auth: Parameters<typeof AuthModule.forRoot>[0]) {
  @Module({
    imports: [
      ObservabilityModule.forRoot({ service: 'auth-test', logLevel: 'silent' }),
      AuthModule.forRoot(auth),
    ],
    controllers: [DevicesController],
  })
  class TestAppModule {}
  return TestAppModule;
}

async function start(
  auth: Parameters<typeof AuthModule.forRoot>[0],
): Promise<{ app: INestApplication; base: string }> {
  const app = await bootstrapHttpService(appModule(auth), {
    service: 'auth-test',
    port: 0,
    host: '127.0.0.1',
  });
  return { app, base: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}` };
}

const now = () => Math.floor(Date.now() / 1000);
const errorOf = async (response: Response) => (await response.json()) as ErrorBody;

/** Signs arbitrary claims over valid defaults; `undefined` removes a claim. */
function signer(key: CryptoKey, kid: string) {
  return (claims: JWTPayload = {}) => {
    const defaults = {
      roles: ['admin'],
      iss: 'fleetwise-dev',
      aud: 'fleetwise-api',
      sub: 'alice',
      exp: now() + 300,
    };
    return new SignJWT({ ...defaults, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuedAt()
      .sign(key);
  };
}

describe('AuthModule with the development key', () => {
  let keyDir: string;
  let app: INestApplication;
  let base: string;
  let sign: ReturnType<typeof signer>;

  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'fleet-auth-int-'));
    ({ app, base } = await start({ devKeyDir: keyDir }));
    const { privateJwk, kid } = await ensureDevKeyPair(keyDir);
    sign = signer((await importJWK(privateJwk, 'ES256')) as CryptoKey, kid);
  });

  afterAll(async () => {
    await app.close();
    await rm(keyDir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, token?: string, body?: string) =>
    fetch(base + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body,
    });
  const tokenFor = (role: string, subject?: string) => issueDevToken({ role, subject, devKeyDir: keyDir });

  async function expectUnauthenticated(response: Response, message: string | RegExp): Promise<void> {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="fleetwise"/);
    const body = await errorOf(response);
    expect(body).toEqual({ statusCode: 401, error: 'UNAUTHENTICATED', message: expect.anything() });
    expect(body.message).toMatch(message);
  }

  describe('authentication', () => {
    it('rejects a request without a token', async () => {
      const response = await call('GET', '/devices/d-1');
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="fleetwise"');
      await expectUnauthenticated(response, 'missing bearer token (Authorization: Bearer <token>)');
    });

    it('rejects another scheme', async () => {
      const response = await fetch(`${base}/devices/d-1`, {
        headers: { authorization: 'Basic YWxpY2U6cHc=' },
      });
      await expectUnauthenticated(response, 'Authorization header must use the Bearer scheme');
    });

    it.each([
      ['garbage', async () => 'not-a-jwt', 'token is malformed'],
      ['an expired token', () => sign({ exp: now() - 60 }), 'token expired'],
      [
        'a token for another audience',
        () => sign({ aud: 'someone-else' }),
        'token audience is not "fleetwise-api"',
      ],
      ['a token from another issuer', () => sign({ iss: 'evil' }), 'token issuer is not "fleetwise-dev"'],
      ['a token not valid yet', () => sign({ nbf: now() + 3600 }), 'token is not valid yet (nbf)'],
      ['a token without expiry', () => sign({ exp: undefined }), 'token has no "exp" claim'],
    ])('rejects %s', async (_case, token, message) => {
      const response = await call('GET', '/devices/d-1', await token());
      await expectUnauthenticated(response, message);
      expect(response.headers.get('www-authenticate')).toContain(
        `error="invalid_token", error_description="`,
      );
    });

    it('rejects a token signed by another key, even with the right kid', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const { kid } = await ensureDevKeyPair(keyDir);
      const forged = await signer(privateKey, kid)();
      await expectUnauthenticated(await call('GET', '/devices/d-1', forged), 'token signature is invalid');
    });

    it('rejects symmetric algorithms', async () => {
      const forged = await new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('fleetwise-dev')
        .setAudience('fleetwise-api')
        .setSubject('mallory')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode('a-guessable-secret-of-32-bytes!!'));
      await expectUnauthenticated(
        await call('GET', '/devices/d-1', forged),
        'token signing algorithm is not allowed',
      );
    });
  });

  describe('authorisation', () => {
    it('lets a listed role through, with the token subject as actor', async () => {
      const response = await call('GET', '/devices/d-1', await tokenFor('viewer', 'bob'));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ id: 'd-1', actor: { type: 'operator', id: 'bob' } });
    });

    it('makes the verified subject the actor of commands, also on the request', async () => {
      const response = await call(
        'POST',
        '/devices',
        await tokenFor('admin', 'alice'),
        '{"serial":"SN-1","model":"m1"}',
      );
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({
        serial: 'SN-1',
        model: 'm1',
        actor: { type: 'operator', id: 'alice' },
        requestActor: { type: 'operator', id: 'alice' },
      });
    });

    it('accepts a single role claim', async () => {
      const response = await call(
        'POST',
        '/devices/d-1/decommission',
        await sign({ roles: undefined, role: 'admin' }),
      );
      expect(response.status).toBe(201);
    });

    it('forbids a role that is not listed, naming the required ones', async () => {
      const response = await call('POST', '/devices/d-1/decommission', await tokenFor('viewer'));
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({
        statusCode: 403,
        error: 'FORBIDDEN',
        message: 'requires one of the roles admin',
        details: { requiredRoles: ['admin'], grantedRoles: ['viewer'] },
      });
    });

    it('forbids a token without known roles', async () => {
      const response = await call('GET', '/devices/d-1', await sign({ roles: ['superuser'] }));
      expect(response.status).toBe(403);
      expect((await errorOf(response)).message).toBe(
        'requires one of the roles admin, operator, support, viewer',
      );
    });

    it('denies a route without @Roles to everyone, admins included', async () => {
      const response = await call('DELETE', '/devices/d-1', await tokenFor('admin'));
      expect(response.status).toBe(403);
      expect((await errorOf(response)).message).toMatch(/declares no roles/);
    });
  });

  describe('public routes and errors', () => {
    it('serves probes and metrics without a token', async () => {
      const live = await call('GET', '/health/live');
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });

      await call('POST', '/devices', await tokenFor('operator'), '{"serial":"SN-2","model":"m2"}');
      const metrics = await call('GET', '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain;.* version=0\.0\.4/);
      const text = await metrics.text();
      expect(text).toMatch(/^process_resident_memory_bytes\{service="auth-test"\} \d+/m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds\{service="auth-test"\} /m);
      expect(text).toContain('devices_provisioned_total{model="m2",service="auth-test"} 1');
    });

    it('reports readiness from the registered checks', async () => {
      const health = app.get(HealthChecks);
      health.register('kafka', async () => undefined);
      health.register('eventstore', async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:2113');
      });
      const notReady = await call('GET', '/health/ready');
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        status: 'not_ready',
        checks: { kafka: 'up', eventstore: 'down' },
        errors: { eventstore: 'connect ECONNREFUSED 127.0.0.1:2113' },
      });

      health.register('eventstore', async () => undefined);
      const ready = await call('GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { kafka: 'up', eventstore: 'up' } });
    });

    it('answers a malformed JSON body with 400 and the parser error', async () => {
      const response = await call('POST', '/devices', await tokenFor('admin'), '{"serial": "SN-1",');
      expect(response.status).toBe(400);
      const body = await errorOf(response);
      expect(body).toEqual({ statusCode: 400, error: 'MALFORMED_JSON', message: expect.any(String) });
      expect(body.message).toMatch(/^malformed JSON body: .*JSON/);
    });

    it('answers an invalid body with 400 naming each field', async () => {
      const response = await call('POST', '/devices', await tokenFor('admin'), '{"model": 7}');
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        statusCode: 400,
        error: 'VALIDATION_FAILED',
        message:
          'request body is invalid: serial: Required; model: Invalid input: expected string, received number',
        details: {
          issues: [
            { path: 'serial', message: 'Required' },
            { path: 'model', message: 'Invalid input: expected string, received number' },
          ],
        },
      });
    });
  });
});
