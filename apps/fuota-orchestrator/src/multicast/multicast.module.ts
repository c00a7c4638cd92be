import { MqttConnection } from '@fleet/messaging';
import { HealthChecks } from '@fleet/observability';
import { mqttLogin, PLATFORM_CONFIG, SERVICE_NAME, type PlatformConfig } from '@fleet/platform';
import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { hostname } from 'node:os';
import { MulticastDeviceDirectory } from './devices/multicast-device-directory';
import { EventStoreSessionSink } from './events/event-store-session-sink';
import { MULTICAST_SESSION_SINK } from './events/session-event-sink.port';
import { MulticastSessionsHttpController } from './http/multicast-sessions.http.controller';
import type { MulticastConfig } from './multicast-config';
import { MULTICAST_CONFIG } from './multicast-config.token';
import { MqttLorawanNetwork } from './network-server/mqtt-lorawan-network';
import { LORAWAN_NETWORK } from './network-server/network-server.port';
import { MulticastSessions } from './run-session/multicast-sessions.service';

const MULTICAST_MQTT = Symbol('MULTICAST_MQTT');

/**
 * LoRaWAN multicast firmware sessions (docs/lorawan-fuota.md, "Multicast sessions"): its own MQTT
 * connection to the network server's integration (the service's platform account), the device
 * directory it checks requests against, and the event-store sink of session events. Needs the
 * platform module and ArtifactsModule (global) for ArtifactCatalogue.
 */
@Module({})
export class MulticastModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(MULTICAST_MQTT) private readonly mqtt: MqttConnection,
    private readonly health: HealthChecks,
  ) {}

  static forRoot(config: MulticastConfig): DynamicModule {
    return {
      module: MulticastModule,
      controllers: [MulticastSessionsHttpController],
      providers: [
        { provide: MULTICAST_CONFIG, useValue: config },
        {
          provide: MULTICAST_MQTT,
          inject: [PLATFORM_CONFIG, SERVICE_NAME],
          useFactory: (platform: PlatformConfig, service: string) =>
            new MqttConnection({
              url: platform.MQTT_URL,
              clientId: `${service}-multicast-${hostname()}-${process.pid}`,
              ...mqttLogin(platform),
            }),
        },
        {
          provide: LORAWAN_NETWORK,
          inject: [MULTICAST_MQTT],
          useFactory: (mqtt: MqttConnection) =>
            new MqttLorawanNetwork(mqtt, {
              networkServer: config.FUOTA_MULTICAST_NETWORK_SERVER,
              applicationId: config.FUOTA_MULTICAST_APPLICATION_ID,
              ttsTenantId: config.FUOTA_MULTICAST_TTS_TENANT_ID ?? null,
              ttsGatewayIds: config.FUOTA_MULTICAST_TTS_GATEWAY_IDS.split(',')
                .map((g) => g.trim())
                .filter(Boolean),
            }),
        },
        { provide: MULTICAST_SESSION_SINK, useClass: EventStoreSessionSink },
        MulticastDeviceDirectory,
        MulticastSessions,
      ],
      exports: [MulticastSessions, MULTICAST_SESSION_SINK],
    };
  }

  onModuleInit(): void {
    // Connects lazily (first session); readiness says whether the broker answers meanwhile.
    this.health.register('mqtt-multicast', () => this.mqtt.check());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.mqtt.close();
  }
}
