import { Injectable } from '@nestjs/common';

/** A readiness probe: resolves when the dependency is usable, rejects (with a reason) otherwise. */
export type ReadinessCheck = () => Promise<void>;

/** Outcome of running every readiness check, as served by `GET /health/ready`. */
export interface ReadinessReport {
  readonly status: 'ready' | 'not_ready';
  readonly checks: Record<string, 'up' | 'down'>;
  /** Why each failing check failed; absent when all are up. */
  readonly errors?: Record<string, string>;
}

/** Default per-check budget: a probe that hangs must not hang the readiness endpoint. */
export const READINESS_TIMEOUT_MS = 2000;

/**
 * Registry of readiness checks. Adapters register theirs at start-up
 * (`health.register('kafka', () => admin.describeCluster().then(() => undefined))`);
 * readiness is the conjunction of all of them, run in parallel.
 */
@Injectable()
export class HealthChecks {
  private readonly checks = new Map<string, ReadinessCheck>();

  /** Adds (or replaces) the check called `name`. */
  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Runs every check with a per-check timeout. Never rejects. */
  async run(timeoutMs = READINESS_TIMEOUT_MS): Promise<ReadinessReport> {
    const entries = [...this.checks];
    const outcomes = await Promise.all(
      entries.map(([name, check]) => runWithTimeout(name, check, timeoutMs)),
    );
    const checks: Record<string, 'up' | 'down'> = {};
    const errors: Record<string, string> = {};
    entries.forEach(([name], i) => {
      const failure = outcomes[i];
      checks[name] = failure === undefined ? 'up' : 'down';
      if (failure !== undefined) errors[name] = failure;
    });
    return Object.keys(errors).length === 0
      ? { status: 'ready', checks }
      : { status: 'not_ready', checks, errors };
  }
}

/** Resolves to undefined on success, else to the failure message. */
async function runWithTimeout(
  name: string,
  check: ReadinessCheck,
  timeoutMs: number,
): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} check timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    // `then(check)` also turns a synchronous throw into a rejection.
    await Promise.race([Promise.resolve().then(check), timeout]);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
