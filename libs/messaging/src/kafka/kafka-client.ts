import {
  Kafka,
  logLevel,
  type Consumer,
  type ConsumerConfig,
  type KafkaConfig,
  type LogEntry,
} from 'kafkajs';

export interface KafkaSettings {
  /** Bootstrap brokers, e.g. ['127.0.0.1:9092']. */
  readonly brokers: readonly string[];
  /** Client id, usually the service name; shows in broker logs and quotas. */
  readonly clientId: string;
  /** Where kafkajs' own log lines go (warn and above); default: dropped. */
  readonly log?: (level: 'error' | 'warn', message: string, extra: Record<string, unknown>) => void;
  /**
   * How long the group coordinator waits for a silent consumer before giving its partitions to
   * the others, and so how long a replacement of a crashed process waits for them; default 30 s.
   */
  readonly sessionTimeoutMs?: number;
}

const DEFAULT_SESSION_TIMEOUT_MS = 30_000;

/** Consumers get the process's group timings unless they set their own. */
class ConfiguredKafka extends Kafka {
  constructor(
    config: KafkaConfig,
    private readonly consumerDefaults: Partial<ConsumerConfig>,
  ) {
    super(config);
  }

  override consumer(config: ConsumerConfig): Consumer {
    return super.consumer({ ...this.consumerDefaults, ...config });
  }
}

/** One kafkajs client per process, its logs routed into ours. */
export function createKafka(settings: KafkaSettings): Kafka {
  const sessionTimeout = settings.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
  const consumerDefaults = {
    sessionTimeout,
    // Several heartbeats per session, as Kafka recommends (at most a third of it).
    heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
  };
  return new ConfiguredKafka(
    {
      clientId: settings.clientId,
      brokers: [...settings.brokers],
      connectionTimeout: 3_000,
      retry: { initialRetryTime: 100, retries: 8 },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log }: LogEntry) => {
          const { message, ...extra } = log;
          settings.log?.(level === logLevel.ERROR ? 'error' : 'warn', `kafkajs: ${message}`, extra);
        },
    },
    consumerDefaults,
  );
}
