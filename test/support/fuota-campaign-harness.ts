import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueDevToken } from '@fleet/auth';
import { createKafka, ensureTopics } from '@fleet/messaging';
import { testInfrastructure, uniqueName } from '@fleet/testing';
import type { FleetSimulatorOptions } from '../../apps/simulator/src/simulator-options';
import { DispatcherHarness } from './dispatcher-harness';
import { generateTestKey, signedDeclaration } from './fuota-artifacts-harness';
import type { ProvisionedDevice } from './ingestion-harness';
import { freePort, ServiceProcess } from './service-process';

export interface CampaignBody {
  campaignId: string;
  status: string;
  wave: number;
  waves: number;
  pauseReason: string | null;
  counts: Record<string, number>;
  countsByWave: Record<string, number>[];
  message?: string;
  details?: Record<string, unknown>;
}

export interface CampaignDeviceBody {
  deviceId: string;
  wave: number;
  status: string;
  attempt: number;
  gate: { gate: string; reason: string } | null;
  lastError: string | null;
}

/**
 * The whole firmware path from dist: device-twin, ingestion and command-dispatcher (the
 * dispatcher harness), fuota-orchestrator on the same database, simulated MQTT devices that
 * download, verify and install, and a manufacturer key both ends trust.
 */
export class FuotaCampaignHarness {
  readonly dispatch = new DispatcherHarness();
  orchestrator!: ServiceProcess;
  readonly manufacturer = generateTestKey('e2e-manufacturer', 'ecdsa-p256');
  readonly campaignEventsTopic = uniqueName('e2e.campaign-events');
  tokens!: Record<'creator' | 'approver' | 'viewer', string>;
  dir!: string;
  private env: Record<string, string> = {};

  get keysDir(): string {
    return join(this.dir, 'keys');
  }

  async start(orchestratorEnv: Record<string, string> = {}): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'fuota-campaign-e2e-'));
    await mkdir(this.keysDir);
    const trusted = this.manufacturer.trusted;
    await writeFile(
      join(this.keysDir, `${trusted.keyId}.pub.pem`),
      trusted.publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const kafka = createKafka({ brokers: testInfrastructure.kafkaBrokers, clientId: 'e2e-fuota-campaigns' });
    await ensureTopics(
      kafka,
      [this.campaignEventsTopic, `${this.campaignEventsTopic}.dlt`].map((name) => ({
        name,
        partitions: 1,
        retentionMs: 3_600_000,
        compacted: false,
      })),
    );
    await this.dispatch.start({ ACK_TIMEOUT_MS: '10000' });
    const port = await freePort();
    this.env = {
      PG_URL: this.dispatch.stack.twin.databaseUrl,
      DEVICE_EVENTS_TOPIC: this.dispatch.stack.deviceEventsTopic,
      TELEMETRY_TOPIC: this.dispatch.stack.telemetryTopic,
      COMMAND_EVENTS_TOPIC: this.dispatch.commandEventsTopic,
      COMMAND_REQUESTS_TOPIC: this.dispatch.commandRequestsTopic,
      CAMPAIGN_EVENTS_TOPIC: this.campaignEventsTopic,
      FUOTA_GROUP_PREFIX: uniqueName('e2e-fuota'),
      FUOTA_ARTIFACT_DIR: join(this.dir, 'artifacts'),
      FUOTA_TRUSTED_KEYS_DIR: this.keysDir,
      FUOTA_DOWNLOAD_TOKEN_SECRET: 'e2e-download-token-secret-of-32-bytes-at-least',
      FUOTA_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      CAMPAIGN_TICK_MS: '200',
      CAMPAIGN_CONTINUOUS_REFRESH_MS: '1000',
      ...orchestratorEnv,
    };
    this.orchestrator = new ServiceProcess('fuota-orchestrator', port, this.env);
    await this.orchestrator.start(60_000);
    this.tokens = {
      creator: await issueDevToken({ role: 'operator', subject: 'olivia' }),
      approver: await issueDevToken({ role: 'operator', subject: 'bruno' }),
      viewer: await issueDevToken({ role: 'viewer', subject: 'victor' }),
    };
  }

  /** Kills the orchestrator (kill -9) and starts a new one with the same settings. */
  async restartOrchestrator(): Promise<void> {
    await this.orchestrator.stop('SIGKILL');
    this.orchestrator = new ServiceProcess('fuota-orchestrator', this.orchestrator.port, this.env);
    // Its consumer groups rebalance only once the dead member's session (30 s) times out.
    await this.orchestrator.start(90_000);
  }

  async stop(): Promise<void> {
    await this.orchestrator?.stop();
    await this.dispatch.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /** Simulated MQTT devices that trust the manufacturer key, installing quickly. */
  simulate(devices: readonly ProvisionedDevice[], options: FleetSimulatorOptions = {}) {
    return this.dispatch.simulate(devices, {
      telemetryIntervalMs: 2_000,
      ...options,
      // Devices keep retrying a download for a minute, as real ones do: long enough to ride out a
      // restart of the orchestrator, which serves the packages here.
      firmware: {
        trustedKeysDir: this.keysDir,
        installMs: 200,
        retryDelayMs: 1_000,
        downloadRetries: 60,
        ...options.firmware,
      },
    });
  }

  async api<T = CampaignBody>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    as: keyof FuotaCampaignHarness['tokens'] = 'creator',
  ): Promise<{ status: number; body: T }> {
    const binary = Buffer.isBuffer(body);
    const response = await fetch(`${this.orchestrator.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.tokens[as]}`,
        'content-type': binary ? 'application/octet-stream' : 'application/json',
      },
      ...(body !== undefined && { body: binary ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  /** Declares and uploads a signed image for `models`; returns the artifact id. */
  async publish(image: Buffer, version: string, models: readonly string[]): Promise<string> {
    const declared = await this.api<{ artifactId: string }>(
      'POST',
      '/artifacts',
      signedDeclaration(image, version, this.manufacturer, { models }),
    );
    if (declared.status !== 201) throw new Error(`declaration refused: ${JSON.stringify(declared.body)}`);
    const uploaded = await this.api('PUT', `/artifacts/${declared.body.artifactId}/image`, image);
    if (uploaded.status !== 200) throw new Error(`image refused: ${JSON.stringify(uploaded.body)}`);
    return declared.body.artifactId;
  }

  async campaign(campaignId: string): Promise<CampaignBody> {
    return (await this.api('GET', `/campaigns/${campaignId}`, undefined, 'viewer')).body;
  }

  async devices(campaignId: string, query = ''): Promise<CampaignDeviceBody[]> {
    const { body } = await this.api<{ items: CampaignDeviceBody[] }>(
      'GET',
      `/campaigns/${campaignId}/devices?limit=1000${query}`,
      undefined,
      'viewer',
    );
    return body.items;
  }

  async until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
    return this.dispatch.until(probe, timeoutMs, what);
  }
}
