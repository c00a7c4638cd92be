import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, type INestApplication, Module, Param } from '@nestjs/common';
import type { Actor } from '@fleet/core';
import { AuthModule, CurrentActor, issueDevToken, Roles, type AuthConfig } from '@fleet/auth';
import { bootstrapHttpService, ObservabilityModule, type ErrorBody } from '@fleet/observability';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

@Controller('devices')
class DevicesController {
  @Get(':id')
  @Roles('support')
  get(@Param('id') id: string, @CurrentActor() actor: Actor): { id: string; actor: Actor } {
    return { id, actor };
  }
}

async function start(auth: Partial<AuthConfig>): Promise<{ app: INestApplication; base: string }> {
  @Module({
    imports: [
      ObservabilityModule.forRoot({ service: 'jwks-test', logLevel: 'silent' }),
      AuthModule.forRoot(auth),
    ],
    controllers: [DevicesController],
  })
  class TestAppModule {}
  const app = await bootstrapHttpService(TestAppModule, { service: 'jwks-test', port: 0, host: '127.0.0.1' });
  return { app, base: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}` };
}

const errorOf = async (response: Response) => (await response.json()) as ErrorBody;

describe('AuthModule with a JWKS URL', () => {
  let jwks: Server;
  let jwksHits = 0;
  let idpKey: CryptoKey;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    idpKey = pair.privateKey;
    const publicJwk: JWK = {
      ...(await exportJWK(pair.publicKey)),
      kid: 'idp-key-1',
      alg: 'RS256',
      use: 'sig',
    };
    jwks = createServer((request, response) => {
      if (request.url !== '/.well-known/jwks.json') return void response.writeHead(404).end();
      jwksHits += 1;
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    ({ app, base } = await start({ jwksUrl, issuer: 'https://idp.test/', audience: 'fleetwise-api' }));
  });

  afterAll(async () => {
    await app.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const idpToken = (kid: string, key: CryptoKey = idpKey) =>
    new SignJWT({ roles: ['support'] })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer('https://idp.test/')
      .setAudience('fleetwise-api')
      .setSubject('carol@example.com')
      .setExpirationTime('5m')
      .sign(key);
  const get = (token: string) =>
    fetch(`${base}/devices/d-9`, { headers: { authorization: `Bearer ${token}` } });

  it('verifies tokens with keys fetched from the JWKS URL', async () => {
    const response = await get(await idpToken('idp-key-1'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id: 'd-9',
      actor: { type: 'operator', id: 'carol@example.com' },
    });
    expect(jwksHits).toBeGreaterThanOrEqual(1);
  });

  it('rejects a token whose key the JWKS does not publish', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const response = await get(await idpToken('rotated-away', privateKey));
    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toBe('token is signed by an unknown key');
  });

  it('no longer trusts the development key', async () => {
    const devKeyDir = await mkdtemp(join(tmpdir(), 'fleet-auth-int-'));
    const devToken = await issueDevToken({ role: 'admin', issuer: 'https://idp.test/', devKeyDir });
    await rm(devKeyDir, { recursive: true, force: true });
    const response = await get(devToken);
    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toBe('token is signed by an unknown key');
  });

  it('answers 503 while the JWKS endpoint is unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = await start({ jwksUrl: `http://127.0.0.1:${port}/jwks.json`, issuer: 'https://idp.test/' });
    try {
      const response = await fetch(`${down.base}/devices/d-9`, {
        headers: { authorization: `Bearer ${await idpToken('idp-key-1')}` },
      });
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        statusCode: 503,
        error: 'SERVICE_UNAVAILABLE',
        message: 'cannot verify tokens right now',
      });
    } finally {
      await down.app.close();
    }
  });
});
