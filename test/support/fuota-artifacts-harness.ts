import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { issueDevToken } from '@fleet/auth';
import {
  ensureDevManufacturerKey,
  signFirmware,
  trustedKeyFromPem,
  type SignatureAlgorithm,
  type TrustedKey,
} from '@fleet/firmware';
import { Client } from 'pg';
import { createDatabase } from './database';
import { freePort, ServiceProcess } from './service-process';

/** A manufacturer key of the test: trusted by the service (or deliberately not). */
export interface TestKey {
  readonly keyId: string;
  readonly algorithm: SignatureAlgorithm;
  readonly privateKey: KeyObject;
  readonly trusted: TrustedKey;
}

export function generateTestKey(keyId: string, algorithm: SignatureAlgorithm): TestKey {
  const pair =
    algorithm === 'ecdsa-p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { keyId, algorithm, privateKey: pair.privateKey, trusted: trustedKeyFromPem(keyId, pem) };
}

export const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** What `POST /artifacts` takes, signed like a manufacturer's build does. */
export function signedDeclaration(
  image: Buffer,
  version: string,
  key: TestKey,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const facts = { sha256: sha256Of(image), size: image.length, version };
  return {
    ...facts,
    models: ['WM-200'],
    signature: signFirmware(facts, key.privateKey, key.algorithm).toString('base64'),
    keyId: key.keyId,
    algorithm: key.algorithm,
    ...extra,
  };
}

const ROOT = resolve(__dirname, '..', '..');

/**
 * fuota-orchestrator from dist on a fresh database, with its own artifact directory and trusted
 * keys: an ECDSA and an Ed25519 test key, plus the development key (what fleetctl signs with by
 * default). The download-token secret is known to the test, which mints its own odd tokens.
 */
export class FuotaArtifactsHarness {
  service!: ServiceProcess;
  tokens!: Record<'operator' | 'viewer', string>;
  readonly ecdsa = generateTestKey('e2e-ecdsa', 'ecdsa-p256');
  readonly ed25519 = generateTestKey('e2e-ed25519', 'ed25519');
  readonly downloadSecret = randomBytes(32).toString('base64url');
  dir!: string;
  private database!: { url: string; drop(): Promise<void> };

  get artifactDir(): string {
    return join(this.dir, 'artifacts');
  }

  /** Every key the service trusts, as a device would hold them. */
  trustedKeys!: TrustedKey[];

  async start(env: Record<string, string> = {}): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'fuota-e2e-'));
    const keysDir = join(this.dir, 'keys');
    await mkdir(keysDir);
    const dev = await ensureDevManufacturerKey(join(ROOT, '.local', 'firmware-keys'));
    for (const key of [this.ecdsa.trusted, this.ed25519.trusted, dev.trusted]) {
      await writeFile(
        join(keysDir, `${key.keyId}.pub.pem`),
        key.publicKey.export({ type: 'spki', format: 'pem' }),
      );
    }
    this.trustedKeys = [this.ecdsa.trusted, this.ed25519.trusted, dev.trusted];
    this.database = await createDatabase('fleet_e2e_fuota_artifacts');
    this.service = new ServiceProcess('fuota-orchestrator', await freePort(), {
      PG_URL: this.database.url,
      FUOTA_ARTIFACT_DIR: this.artifactDir,
      FUOTA_TRUSTED_KEYS_DIR: keysDir,
      FUOTA_DOWNLOAD_TOKEN_SECRET: this.downloadSecret,
      ...env,
    });
    await this.service.start(60_000);
    this.tokens = {
      operator: await issueDevToken({ role: 'operator', subject: 'oscar' }),
      viewer: await issueDevToken({ role: 'viewer', subject: 'victor' }),
    };
  }

  async stop(): Promise<void> {
    await this.service?.stop();
    await this.database?.drop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /** A JSON call of the operator API. */
  async json<T = Record<string, unknown>>(
    path: string,
    init: RequestInit & { token?: string } = {},
  ): Promise<{ status: number; headers: Headers; body: T }> {
    const response = await fetch(`${this.service.url}${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${init.token ?? this.tokens.operator}`,
        ...(init.headers as Record<string, string> | undefined),
      },
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as T };
  }

  declare(body: Record<string, unknown>, headers: Record<string, string> = {}) {
    return this.json<ArtifactBody & ErrorBody>('/artifacts', {
      method: 'POST',
      body: JSON.stringify(body),
      headers,
    });
  }

  uploadImage(artifactId: string, image: Buffer, headers: Record<string, string> = {}) {
    return this.json<ArtifactBody & ErrorBody>(`/artifacts/${artifactId}/image`, {
      method: 'PUT',
      body: image,
      headers: { 'content-type': 'application/octet-stream', ...headers },
    });
  }

  /** Declares and uploads; fails the test when either step is refused. */
  async publish(image: Buffer, version: string, key: TestKey, extra: Record<string, unknown> = {}) {
    const declared = await this.declare(signedDeclaration(image, version, key, extra));
    if (declared.status !== 201) throw new Error(`declaration refused: ${JSON.stringify(declared.body)}`);
    const uploaded = await this.uploadImage(declared.body.artifactId, image);
    if (uploaded.status !== 200) throw new Error(`image refused: ${JSON.stringify(uploaded.body)}`);
    return uploaded.body;
  }

  /** A download link for a device, as campaigns get them. */
  async downloadLink(artifactId: string, deviceId: string): Promise<{ url: string; expiresAt: string }> {
    const { status, body } = await this.json<{ url: string; expiresAt: string }>(
      `/artifacts/${artifactId}/download-links`,
      { method: 'POST', body: JSON.stringify({ deviceId }) },
    );
    if (status !== 201) throw new Error(`no download link (${status}): ${JSON.stringify(body)}`);
    return body;
  }

  /** A direct look at the service's tables. */
  async sql<T extends object>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.database.url });
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  }
}

export interface ArtifactBody {
  artifactId: string;
  status: 'awaiting-image' | 'published' | 'refused';
  version: string;
  models: string[];
  sha256: string;
  size: number;
  keyId: string | null;
  algorithm: SignatureAlgorithm;
  packageSize: number | null;
  createdBy: string;
  refusal: { stage: string; reason: string; detail: string } | null;
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: Record<string, unknown>;
}
