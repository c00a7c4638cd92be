import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

type MetricClass<M> = abstract new (...args: never[]) => M;

/**
 * The service's Prometheus registry: default process metrics plus whatever the service registers,
 * every series labelled with `service`. One instance per app (not prom-client's global registry),
 * so that tests booting several apps in one process do not collide.
 */
export class Metrics {
  /** The underlying registry, scraped by `GET /metrics`. */
  readonly registry = new Registry();

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
  }

  /** A counter; asking again for the same name returns the existing one. */
  counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.getOrCreate(
      name,
      Counter<L>,
      () => new Counter<L>({ name, help, labelNames, registers: [this.registry] }),
    );
  }

  /** A histogram (prom-client's default buckets unless given); idempotent like {@link counter}. */
  histogram<L extends string = string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets?: number[],
  ): Histogram<L> {
    return this.getOrCreate(
      name,
      Histogram<L>,
      () =>
        new Histogram<L>({
          name,
          help,
          labelNames,
          registers: [this.registry],
          ...(buckets ? { buckets } : {}),
        }),
    );
  }

  /** A gauge; idempotent like {@link counter}. */
  gauge<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.getOrCreate(
      name,
      Gauge<L>,
      () => new Gauge<L>({ name, help, labelNames, registers: [this.registry] }),
    );
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  private getOrCreate<M>(name: string, type: MetricClass<M>, create: () => M): M {
    const existing: unknown = this.registry.getSingleMetric(name);
    if (existing === undefined) return create();
    if (existing instanceof type) return existing;
    // Two modules disagreeing on a metric's type is a programming error worth failing loudly on.
    throw new Error(`metric ${name} is already registered as a ${(existing as object).constructor.name}`);
  }
}
