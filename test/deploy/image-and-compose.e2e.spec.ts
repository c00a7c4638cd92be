import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceConfigSchema } from '@fleet/platform';
import { parse } from 'yaml';
import { serviceKeys } from '../../scripts/manifests';
import { SERVICES } from '../../scripts/services';
import { ROOT } from './kubernetes';
import { SHUTDOWN_TIMEOUT_MS } from './shutdown-support';

/**
 * No Docker engine here: the image and the compose file cannot be built or run. What can be
 * checked without one is checked: the image's entrypoint (a shell line) and the compose file's
 * wiring against the code.
 */
describe('container image and compose file', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  describe('the entrypoint', () => {
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    let app: string;

    beforeAll(() => {
      // A stand-in for the image's /app: one service that prints its argv and pid.
      app = mkdtempSync(join(tmpdir(), 'fleet-image-'));
      mkdirSync(join(app, 'dist/apps/alerting/src'), { recursive: true });
      writeFileSync(
        join(app, 'dist/apps/alerting/src/main.js'),
        'console.log(JSON.stringify({ pid: process.pid, args: process.argv.slice(2) }))',
      );
    });
    afterAll(() => rmSync(app, { recursive: true }));

    const run = (...args: string[]) =>
      spawnSync(entrypoint[0]!, [...entrypoint.slice(1), ...args], { cwd: app, encoding: 'utf8' });

    it('runs the service named by the argument, exec-ed so that it gets the signals itself', () => {
      const result = run('alerting', '--flag');
      expect(result.status).toBe(0);
      const printed = JSON.parse(result.stdout) as { pid: number; args: string[] };
      // exec: node replaced the shell, so the pid is the one that was spawned.
      expect(printed).toEqual({ pid: result.pid, args: ['--flag'] });
    });

    it('refuses an unknown service with a message naming the services', () => {
      const result = run('no-such-service');
      expect(result.status).toBe(64);
      expect(result.stderr).toContain("no service 'no-such-service' (device-twin, command-dispatcher");
    });

    it('runs as the unprivileged node user and defaults to a real service', () => {
      expect(dockerfile).toMatch(/^USER node$/m);
      expect(dockerfile).toMatch(/^CMD \["device-twin"\]$/m);
      expect(dockerfile).toMatch(/npm prune --omit=dev/);
    });
  });

  describe('compose.yaml', () => {
    type ComposeService = {
      build?: { context: string; dockerfile: string };
      image?: string;
      command?: string[];
      environment?: Record<string, string | number>;
      stop_grace_period?: string;
    };
    const compose = parse(readFileSync(join(ROOT, 'deploy/compose/compose.yaml'), 'utf8'), {
      merge: true,
    }) as { services: Record<string, ComposeService> };

    it('has the infrastructure as real images', () => {
      const images = Object.values(compose.services).map((s) => s.image ?? '');
      for (const image of [/^apache\/kafka:/, /^postgres:/, /kurrentdb:/, /^eclipse-mosquitto:/])
        expect(images.some((i) => image.test(i))).toBe(true);
    });

    it.each(SERVICES.map((s) => s.name))(
      '%s: built from the Dockerfile, on its port, only known keys, time to stop',
      (name) => {
        const service = compose.services[name]!;
        const port = SERVICES.find((s) => s.name === name)!.port;
        expect(service.build).toEqual({ context: '../..', dockerfile: 'Dockerfile' });
        expect(service.command).toEqual([name]);
        const env = service.environment ?? {};
        expect(env['HTTP_PORT']).toBe(port);
        const known = new Set([
          ...Object.keys(serviceConfigSchema(port, serviceKeys(name)).shape),
          'NODE_ENV',
        ]);
        expect(Object.keys(env).filter((key) => !known.has(key))).toEqual([]);
        expect(parseInt(service.stop_grace_period ?? '10s', 10) * 1000).toBeGreaterThan(SHUTDOWN_TIMEOUT_MS);
      },
    );
  });
});
