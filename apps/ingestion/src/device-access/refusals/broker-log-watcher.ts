import { randomUUID } from 'node:crypto';
import { MosquittoLogReader } from '@fleet/messaging';
import { LeaderLease, mqttLogin, PG_POOL, PLATFORM_CONFIG, type PlatformConfig } from '@fleet/platform';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Pool } from 'pg';
import { INGESTION_CONFIG, type IngestionConfig } from '../../config';
import { refusalFromBrokerLog } from '../authentication-refusals';
import { DeviceDirectory } from '../directory/device-directory';
import { AuthenticationRefusals } from './authentication-refusals.publisher';

/**
 * Refused MQTT logins, read from the broker's own log topic. The broker publishes every line to
 * every subscriber and does not share `$SYS` subscriptions, so one replica reads it, under a lease;
 * another takes over within seconds of its death. Lines logged while no replica listens are not
 * replayed (the broker keeps no `$SYS` log history): refusals are a signal, not a ledger. Not part
 * of readiness: uplinks do not depend on it, and its client reconnects on its own.
 */
@Injectable()
export class BrokerLogWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BrokerLogWatcher.name);
  private readonly lease: LeaderLease;
  private readonly reader: MosquittoLogReader;

  constructor(
    @Inject(PG_POOL) pool: Pool,
    @Inject(PLATFORM_CONFIG) platform: PlatformConfig,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
    private readonly directory: DeviceDirectory,
    private readonly refusals: AuthenticationRefusals,
  ) {
    this.reader = new MosquittoLogReader({
      url: platform.MQTT_URL,
      clientId: `ingestion-${config.INGESTION_INSTANCE_ID}-broker-log`,
      ...mqttLogin(platform),
    });
    this.lease = new LeaderLease(pool, 'ingestion-broker-log', {
      start: () => this.listen(),
      stop: () => this.reader.stop(),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.INGESTION_BROKER_LOG === 'off') return;
    await this.lease.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.lease.stop();
  }

  private async listen(): Promise<void> {
    await this.reader.start(
      (line) => this.read(line),
      (error) => this.logger.warn({ err: error }, 'broker log connection error'),
    );
    this.logger.log('reading refused logins from the broker log');
  }

  private read(line: string): void {
    const refusal = refusalFromBrokerLog(line, (id) => this.directory.find(id), {
      receivedAt: Date.now(),
      newId: randomUUID,
    });
    if (refusal) this.refusals.publish(refusal);
  }
}
