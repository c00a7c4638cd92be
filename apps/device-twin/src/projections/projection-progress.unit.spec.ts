import { ProjectionProgress } from './projection-progress';

describe('ProjectionProgress', () => {
  it('given the read model already shows the version, when waiting, then it answers at once', async () => {
    const progress = new ProjectionProgress(async () => 3);
    await expect(progress.waitFor('d', 3, 1_000)).resolves.toBe(true);
  });

  it('given this process applies the version, when waiting, then it wakes before the poll interval', async () => {
    let stored = 1;
    const progress = new ProjectionProgress(async () => stored, 10_000);
    const waiting = progress.waitFor('d', 2, 5_000);
    await new Promise((r) => setTimeout(r, 20));
    stored = 2;
    progress.applied('d', 2);
    const started = Date.now();
    await expect(waiting).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('given another replica projects the version, when waiting, then polling finds it', async () => {
    let stored: number | undefined;
    const progress = new ProjectionProgress(async () => stored, 20);
    setTimeout(() => (stored = 5), 60);
    await expect(progress.waitFor('d', 5, 2_000)).resolves.toBe(true);
  });

  it('given nothing shows the version, when the time is up, then it answers false', async () => {
    const progress = new ProjectionProgress(async () => 0, 20);
    await expect(progress.waitFor('d', 1, 100)).resolves.toBe(false);
  });

  it('given waiters, when closed, then they answer false without waiting for their timeout', async () => {
    const progress = new ProjectionProgress(async () => 0, 10_000);
    const waiting = progress.waitFor('d', 1, 10_000);
    await new Promise((r) => setTimeout(r, 10));
    progress.close();
    await expect(waiting).resolves.toBe(false);
  });
});
