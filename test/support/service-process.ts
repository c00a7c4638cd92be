import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');

/** A free TCP port on loopback, chosen by the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * One service running from its compiled entry point (`npm run build`), as in production: a real
 * process we can SIGTERM or kill -9.
 */
export class ServiceProcess {
  private child?: ChildProcess;
  readonly output: string[] = [];
  /** Stable across restarts, like a deployment's consumer group. */
  private readonly groupSuffix = `e2e-telemetry-${randomUUID()}`;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    // SERVICE_NODE_ARGS: flags for this process only, e.g. --cpu-prof when profiling a benchmark.
    const nodeArgs = (this.env['SERVICE_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
    const child = spawn(
      process.execPath,
      [...nodeArgs, resolve(root, 'dist/apps', this.name, 'src/main.js')],
      {
        cwd: root,
        env: {
          ...process.env,
          LOG_LEVEL: 'warn',
          // Each service process under test gets its own consumer groups, so that suites running side
          // by side never split a topic's partitions between them.
          TELEMETRY_GROUP_ID: this.groupSuffix,
          COMMAND_EVENTS_GROUP_ID: `${this.groupSuffix}-command-outcomes`,
          // A process restarted after kill -9 gets its partitions back after this, not after 30 s.
          KAFKA_SESSION_TIMEOUT_MS: '10000',
          // Each test's ingestion has a share group of its own: its sessions must not outlive the
          // test by a day, queueing every later test's uplinks in the broker (long enough for kill -9).
          INGESTION_SESSION_EXPIRY_S: '120',
          ...this.env,
          HTTP_PORT: String(this.port),
          HTTP_HOST: '127.0.0.1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`${this.name} exited with ${child.exitCode}: ${this.output.join('')}`);
      const ready = await fetch(`${this.url}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms: ${this.output.join('').slice(-2000)}`);
  }

  /** Sends a signal and waits for the process to exit; @returns its exit code (null if killed). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    return exited;
  }
}
