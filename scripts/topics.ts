/** Creates every topic of the catalogue (and its dead-letter topic) on the broker, idempotently. */
import { allTopics } from '@fleet/contracts';
import { createKafka, ensureTopics } from '@fleet/messaging';

async function main(): Promise<void> {
  const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
  const replicationFactor = Number(process.env['KAFKA_REPLICATION_FACTOR'] ?? 1);
  const kafka = createKafka({ brokers, clientId: 'fleet-topics' });
  const { created, existing } = await ensureTopics(kafka, allTopics(), replicationFactor);
  console.log(`topics: ${created.length} created, ${existing.length} already present`);
  for (const name of created) console.log(`  + ${name}`);
}

main().catch((error: unknown) => {
  console.error(`topics: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
