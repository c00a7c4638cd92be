import { PostgresEventStore } from '@fleet/event-store';
import { Metrics } from '@fleet/observability';
import { createTestSchema } from '@fleet/testing';
import { AlertSlots, type AlertDecision } from '../../evaluation/alert-slots';
import { RuleSet } from '../../evaluation/rule-set';
import { alertIdFor } from './alert-identity';
import { AlertWriter } from './alert-writer';

// Writing decisions to a real PostgreSQL event store: one commit per batch, and idempotent, so
// that replaying a batch after a crash (the same decisions, the same alert ids) writes nothing.
describe('alert writer', () => {
  let fixture: Awaited<ReturnType<typeof createTestSchema>>;
  let store: PostgresEventStore;
  let writer: AlertWriter;
  const rules = new RuleSet([
    {
      ruleId: 'battery',
      ruleVersion: 3,
      definition: {
        name: 'Battery low',
        description: '',
        severity: 'warning',
        scope: { type: 'fleet' },
        condition: {
          kind: 'threshold',
          metric: 'batteryPercent',
          operator: 'below',
          raiseAt: 20,
          clearAt: 20,
        },
        escalation: null,
        suppression: { maintenanceWindows: true, campaigns: true },
      },
    },
  ]);
  const raise = (subject: string, episode: number): AlertDecision => ({
    action: 'raise',
    ruleId: 'battery',
    subject,
    deviceId: subject,
    episode,
    observedAt: 1_700_000_000_000,
    value: 10,
    bound: 20,
    message: 'battery (%) 10 is below 20',
    correlationId: `uplink-${subject}-${episode}`,
  });
  const clear = (subject: string, episode: number): AlertDecision => ({
    action: 'clear',
    ruleId: 'battery',
    subject,
    deviceId: subject,
    alertId: alertIdFor('battery', subject, episode),
    observedAt: 1_700_000_060_000,
    value: 50,
    message: 'battery (%) 50 is back at or above 20',
    correlationId: null,
  });
  const types = async (subject: string, episode: number) =>
    (await store.readStream(`alert-${alertIdFor('battery', subject, episode)}`)).map((e) => e.type);

  beforeAll(async () => {
    fixture = await createTestSchema('alerting_writer');
    store = await PostgresEventStore.create({ pool: fixture.pool, schema: fixture.schema });
    writer = new AlertWriter(store, new Metrics('alerting-test'));
  });

  afterAll(async () => {
    await store.close();
    await fixture.drop();
  });

  it('writes a batch that raises, clears and raises again, with the rule and the cause recorded', async () => {
    const decisions = [raise('d1', 1), clear('d1', 1), raise('d1', 2), raise('d2', 1)];
    await writer.apply(decisions, new AlertSlots([], alertIdFor), rules);
    expect(await types('d1', 1)).toEqual(['AlertRaised', 'AlertCleared']);
    expect(await types('d1', 2)).toEqual(['AlertRaised']);
    const [raised] = await store.readStream(`alert-${alertIdFor('battery', 'd2', 1)}`);
    expect(raised!.data).toMatchObject({
      ruleId: 'battery',
      ruleVersion: 3,
      ruleName: 'Battery low',
      episode: 1,
      value: 10,
    });
    expect(raised!.metadata).toMatchObject({
      actor: { type: 'service', id: 'alerting' },
      causationId: 'uplink-d2-1',
    });
  });

  it('given the same batch again (a replay after a crash), then nothing more is written', async () => {
    await writer.apply(
      [raise('d1', 1), clear('d1', 1), raise('d1', 2), raise('d2', 1)],
      new AlertSlots([], alertIdFor),
      rules,
    );
    expect(await types('d1', 1)).toEqual(['AlertRaised', 'AlertCleared']);
    expect(await types('d1', 2)).toEqual(['AlertRaised']);
    expect(await types('d2', 1)).toEqual(['AlertRaised']);
  });

  it('given a clear of an alert another writer cleared, then it is a no-op', async () => {
    await writer.apply([clear('d2', 1)], new AlertSlots([], alertIdFor), rules);
    await writer.apply([clear('d2', 1)], new AlertSlots([], alertIdFor), rules);
    expect(await types('d2', 1)).toEqual(['AlertRaised', 'AlertCleared']);
  });
});
