import { describeEventStoreConformance } from '../event-store.conformance';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

// Runs only where a server is reachable: jest.config.js leaves this file out unless
// EVENTSTORE_URL is set (e.g. esdb://localhost:2113?tls=false).
const connectionString = process.env.EVENTSTORE_URL as string;

describeEventStoreConformance('EventStoreDB', async () => {
  const store = new EventStoreDbEventStore({ connectionString });
  await store.ping();
  // Tests isolate themselves by stream prefix; the server's data is left in place.
  return { store, cleanup: () => store.close() };
});
