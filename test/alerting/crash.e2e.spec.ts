import { eventually } from '@fleet/testing';
import { AlertingHarness } from '../support/alerting-harness';

const DEVICES = 100;
const UPLINKS_PER_DEVICE = 100;
/** Battery 10 for five uplinks, 50 for five: every device crosses the bound ten times. */
const EPISODES_PER_DEVICE = UPLINKS_PER_DEVICE / 10;

// kill -9 of alerting in the middle of 10,000 uplinks that raise and clear 1,000 alerts:
// afterwards every alert exists exactly once (same ids, episodes 1..10 per device), each cleared
// once, in the store, the read model and on Kafka.
describe('alerting: kill -9 mid-stream', () => {
  const h = new AlertingHarness();

  beforeAll(async () => {
    await h.start();
  });

  afterAll(async () => {
    await h.stop();
  });

  it('neither loses nor duplicates an alert', async () => {
    const ruleId = await h.createRule({
      name: 'Battery low',
      condition: { kind: 'threshold', metric: 'batteryPercent', operator: 'below', raiseAt: 20, clearAt: 30 },
    });
    const start = Date.now() - 60_000;
    const uplinks = Array.from({ length: UPLINKS_PER_DEVICE }, (_, step) =>
      Array.from({ length: DEVICES }, (_, d) => ({
        deviceId: `crash-${d}`,
        receivedAt: start + step * 100 + d,
        batteryPercent: step % 10 < 5 ? 10 : 50,
      })),
    ).flat();
    const sending = (async () => {
      for (let i = 0; i < uplinks.length; i += 500) {
        await h.sendTelemetry(uplinks.slice(i, i + 500));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const raisedCount = async () =>
      Number(
        (
          await h.sql<{ n: string }>(
            `select count(*) as n from event_store.events where type = 'AlertRaised'`,
          )
        )[0]?.n,
      );
    await eventually(
      async () => ((await raisedCount()) >= 150 ? true : undefined),
      60_000,
      '150 alerts raised',
    );
    expect(await h.service.stop('SIGKILL')).toBeNull();
    await sending;
    await h.service.start(90_000);

    const expected = DEVICES * EPISODES_PER_DEVICE;
    await eventually(
      async () => {
        const [row] = await h.sql<{ raised: string; cleared: string }>(
          `select count(*) filter (where type = 'AlertRaised') as raised, count(*) filter (where type = 'AlertCleared') as cleared
           from event_store.events where stream like 'alert-%'`,
        );
        return Number(row?.raised) >= expected && Number(row?.cleared) >= expected ? true : undefined;
      },
      120_000,
      'every alert raised and cleared',
    );

    // In the store: one stream per alert, Raised then Cleared, episodes 1..10 for every device.
    const streams = await h.sql<{ stream: string; types: string[]; device: string; episode: number }>(
      `select stream, array_agg(type order by revision) as types, min(data->>'deviceId') as device,
         max((data->>'episode')::int) as episode
       from event_store.events where stream like 'alert-%' group by stream`,
    );
    expect(streams).toHaveLength(expected);
    expect(streams.every((s) => s.types.join() === 'AlertRaised,AlertCleared')).toBe(true);
    const episodes = new Map<string, number[]>();
    for (const s of streams) episodes.set(s.device, [...(episodes.get(s.device) ?? []), s.episode]);
    expect(episodes.size).toBe(DEVICES);
    for (const list of episodes.values()) {
      expect(list.sort((a, b) => a - b)).toEqual(
        Array.from({ length: EPISODES_PER_DEVICE }, (_, i) => i + 1),
      );
    }

    // The read model and the API agree.
    await eventually(async () => {
      const [row] = await h.sql<{ n: string }>(
        `select count(*) as n from alerting.alerts where rule_id = $1 and status = 'cleared'`,
        [ruleId],
      );
      return Number(row?.n) === expected ? true : undefined;
    }, 30_000);
    const page = await h.json<{ items: unknown[]; nextCursor: string }>(`/alerts?ruleId=${ruleId}&limit=500`);
    const next = await h.json<{ items: unknown[]; nextCursor: string | null }>(
      `/alerts?ruleId=${ruleId}&limit=500&cursor=${page.body.nextCursor}`,
    );
    expect(page.body.items.length + next.body.items.length).toBe(expected);

    // On Kafka (at least once): every alert raised and cleared, never two different facts for one.
    await eventually(
      async () => {
        const raised = new Set(
          h.onKafka.filter((e) => e.envelope.eventType === 'AlertRaised').map((e) => e.envelope.stream),
        );
        return raised.size === expected ? true : undefined;
      },
      60_000,
      'every AlertRaised on Kafka',
    );
    const eventIds = new Map<string, Set<string>>();
    for (const e of h.onKafka) {
      const key = `${e.envelope.stream}/${e.envelope.eventType}`;
      eventIds.set(key, (eventIds.get(key) ?? new Set()).add(e.envelope.eventId));
    }
    expect([...eventIds.values()].every((ids) => ids.size === 1)).toBe(true);
  });
});
