import { Kafka, logLevel, type LogEntry } from 'kafkajs';

export interface KafkaSettings {
  /** Bootstrap brokers, e.g. ['127.0.0.1:9092']. */
  readonly brokers: readonly string[];
  /** Client id, usually the service name; shows in broker logs and quotas. */
  readonly clientId: string;
  /** Where kafkajs' own log lines go (warn and above); default: dropped. */
  readonly log?: (level: 'error' | 'warn', message: string, extra: Record<string, unknown>) => void;
}

/** One kafkajs client per process, its logs routed into ours. */
export function createKafka(settings: KafkaSettings): Kafka {
  return new Kafka({
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
  });
}
