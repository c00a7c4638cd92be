import { z } from 'zod';

/**
 * Strimzi's KafkaTopic (kafka.strimzi.io/v1beta2) as its CRD's schema describes the fields we use:
 * no npm package carries Strimzi's CRDs, so this transcribes the API reference (KafkaTopicSpec:
 * partitions ≥ 1, replicas 1..32767, config a map, topicName a string; `strimzi.io/cluster` names
 * the Kafka cluster whose topic operator manages it). Strict: an unknown field is an error.
 */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kafka's own rule for topic names. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export const kafkaTopicSchema = z
  .object({
    apiVersion: z.literal('kafka.strimzi.io/v1beta2'),
    kind: z.literal('KafkaTopic'),
    metadata: z
      .object({
        name: z.string().max(253).regex(DNS_SUBDOMAIN),
        namespace: z.string().optional(),
        labels: z.record(z.string(), z.string()).refine((l) => !!l['strimzi.io/cluster'], {
          message: 'needs the strimzi.io/cluster label',
        }),
        annotations: z.record(z.string(), z.string()).optional(),
      })
      .strict(),
    spec: z
      .object({
        topicName: z.string().regex(TOPIC_NAME).optional(),
        partitions: z.number().int().min(1).optional(),
        replicas: z.number().int().min(1).max(32767).optional(),
        config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
      })
      .strict(),
  })
  .strict();
