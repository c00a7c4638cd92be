import type { Kafka } from 'kafkajs';

export interface TopicToEnsure {
  readonly name: string;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly compacted: boolean;
}

export interface EnsureTopicsResult {
  readonly created: string[];
  readonly existing: string[];
}

/** Creates missing topics with their catalogue settings; existing topics are left as they are. */
export async function ensureTopics(
  kafka: Kafka,
  topics: readonly TopicToEnsure[],
  replicationFactor = 1,
): Promise<EnsureTopicsResult> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !present.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor,
          configEntries: [
            { name: 'retention.ms', value: String(t.retentionMs) },
            { name: 'cleanup.policy', value: t.compacted ? 'compact' : 'delete' },
            { name: 'min.insync.replicas', value: String(Math.min(2, replicationFactor)) },
          ],
        })),
      });
    }
    return {
      created: missing.map((t) => t.name),
      existing: topics.filter((t) => present.has(t.name)).map((t) => t.name),
    };
  } finally {
    await admin.disconnect();
  }
}
