import { PostgresInbox } from '@fleet/messaging';
import { createTestSchema } from '@fleet/testing';

// Against the real PostgreSQL: a redelivered message changes nothing, a failed one can be retried.
describe('PostgresInbox', () => {
  let db: Awaited<ReturnType<typeof createTestSchema>>;
  let inbox: PostgresInbox;

  beforeAll(async () => {
    db = await createTestSchema('inbox');
    inbox = new PostgresInbox(db.pool, db.schema);
    await inbox.ensureSchema();
    await db.pool.query(`create table ${db.schema}.counter (n int not null)`);
    await db.pool.query(`insert into ${db.schema}.counter values (0)`);
  });

  afterAll(() => db.drop());

  const increment = (messageId: string) =>
    inbox.handleOnce('projection', messageId, async (tx) => {
      await tx.query(`update ${db.schema}.counter set n = n + 1`);
    });
  const count = async () => (await db.pool.query(`select n from ${db.schema}.counter`)).rows[0].n as number;

  it('applies a message once however often it is delivered, even concurrently', async () => {
    const results = await Promise.all([increment('e-1'), increment('e-1'), increment('e-1')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await increment('e-1')).toBe(false);
    expect(await count()).toBe(1);
  });

  it('forgets a message whose handling failed, so the retry applies it', async () => {
    await expect(
      inbox.handleOnce('projection', 'e-2', async (tx) => {
        await tx.query(`update ${db.schema}.counter set n = n + 100`);
        throw new Error('handler crashed');
      }),
    ).rejects.toThrow('handler crashed');
    expect(await increment('e-2')).toBe(true);
    expect(await count()).toBe(2);
  });

  it('keeps consumers apart: the same id is new to another consumer', async () => {
    expect(await inbox.handleOnce('alerting', 'e-1', async () => undefined)).toBe(true);
  });
});
