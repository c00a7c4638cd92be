import { Metrics } from './metrics';

describe('Metrics', () => {
  it('returns the existing metric when asked twice for the same name', () => {
    const metrics = new Metrics('svc');
    const first = metrics.counter('commands_total', 'Commands handled', ['type']);
    expect(metrics.counter('commands_total', 'Commands handled', ['type'])).toBe(first);
    expect(metrics.histogram('latency_seconds', 'h')).toBe(metrics.histogram('latency_seconds', 'h'));
    expect(metrics.gauge('lag', 'g')).toBe(metrics.gauge('lag', 'g'));
  });

  it('refuses to reuse a name for another metric type', () => {
    const metrics = new Metrics('svc');
    metrics.counter('things', 'Things');
    expect(() => metrics.gauge('things', 'Things')).toThrow(
      'metric things is already registered as a Counter',
    );
  });

  it('labels every series with the service and includes default metrics', async () => {
    const metrics = new Metrics('device-twin');
    metrics.counter('commands_total', 'Commands handled', ['type']).inc({ type: 'Provision' });
    const text = await metrics.render();
    expect(text).toContain('commands_total{type="Provision",service="device-twin"} 1');
    expect(text).toMatch(/^process_cpu_user_seconds_total\{service="device-twin"\} /m);
  });

  it('keeps instances apart', async () => {
    new Metrics('a').counter('only_in_a', 'x');
    await expect(new Metrics('b').render()).resolves.not.toContain('only_in_a');
  });
});
