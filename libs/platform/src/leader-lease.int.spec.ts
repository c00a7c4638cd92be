import { testInfrastructure, uniqueName } from '@fleet/testing';
import { Pool } from 'pg';
import { LeaderLease } from './leader-lease';

const until = async (condition: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('LeaderLease (PostgreSQL advisory lock)', () => {
  const pool = new Pool({ connectionString: testInfrastructure.pgUrl, max: 6 });
  afterAll(() => pool.end());

  it('given two replicas, then one runs the work, and the other takes over when it stops', async () => {
    const name = uniqueName('lease');
    const running: string[] = [];
    const work = (id: string) => ({
      start: () => Promise.resolve(void running.push(id)),
      stop: () => Promise.resolve(void running.splice(running.indexOf(id), 1)),
    });
    const first = new LeaderLease(pool, name, work('first'));
    const second = new LeaderLease(pool, name, work('second'));
    await first.start();
    await second.start();
    expect(running).toEqual(['first']);
    expect([first.held, second.held]).toEqual([true, false]);

    await first.stop();
    await until(() => second.held);
    expect(running).toEqual(['second']);
    await second.stop();
  });

  it('given work that fails to start, then the lease is let go and taken again until the work starts', async () => {
    const name = uniqueName('lease');
    let attempts = 0;
    const flaky = new LeaderLease(pool, name, {
      start: () => (++attempts < 2 ? Promise.reject(new Error('broker unreachable')) : Promise.resolve()),
      stop: () => Promise.resolve(),
    });
    const other = new LeaderLease(pool, name, {
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
    });
    await flaky.start();
    expect(flaky.held).toBe(false);
    await until(() => flaky.held);
    expect(attempts).toBe(2);
    await flaky.stop();
    await other.start();
    expect(other.held).toBe(true);
    await other.stop();
  });
});
