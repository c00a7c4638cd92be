import { HealthChecks } from './health';

describe('HealthChecks', () => {
  it('is ready with no checks', async () => {
    await expect(new HealthChecks().run()).resolves.toEqual({ status: 'ready', checks: {} });
  });

  it('reports every check, and why the failing ones failed', async () => {
    const health = new HealthChecks();
    health.register('kafka', async () => undefined);
    health.register('postgres', async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    });
    health.register('sync', () => {
      throw new Error('thrown synchronously');
    });
    await expect(health.run()).resolves.toEqual({
      status: 'not_ready',
      checks: { kafka: 'up', postgres: 'down', sync: 'down' },
      errors: { postgres: 'connect ECONNREFUSED 127.0.0.1:5432', sync: 'thrown synchronously' },
    });
  });

  it('times out a hanging check without waiting for it', async () => {
    const health = new HealthChecks();
    health.register('hangs', () => new Promise(() => undefined));
    const started = Date.now();
    const report = await health.run(50);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(report.errors).toEqual({ hangs: 'hangs check timed out after 50 ms' });
  });
});
