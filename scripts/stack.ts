/**
 * Runs the five services as child processes of one terminal session (`npm start`), prefixes
 * their log lines, prints their URLs once they are ready, and stops them all on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { entryPoint, SERVICES } from './services';

const root = resolve(__dirname, '..', '..');
const children = new Map<string, ChildProcess>();
let stopping = false;

for (const { name } of SERVICES) {
  const child = spawn(process.execPath, [entryPoint(root, name)], {
    cwd: root,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(name, child);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) =>
      process.stdout.write(`${name.padEnd(18)} | ${line}\n`),
    );
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping the stack`);
      void stop(1);
    } else if (children.size === 0) process.exit(process.exitCode ?? 0);
  });
}

async function waitUntilReady(): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (const { name, port } of SERVICES) {
    const url = `http://127.0.0.1:${port}/health/ready`;
    for (;;) {
      const ok = await fetch(url).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline || stopping) throw new Error(`${name} is not ready at ${url}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const child of children.values()) child.kill('SIGTERM');
  if (children.size === 0) process.exit(code);
}

process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

waitUntilReady().then(
  () => {
    console.log('\nFleetwise is running:');
    for (const { name, port } of SERVICES)
      console.log(`  ${name.padEnd(18)} http://127.0.0.1:${port}  (/health/ready, /metrics)`);
    console.log('\nTry: TOKEN=$(npm run -s token -- --role admin)');
    console.log(`     curl -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`);
    console.log(
      `          -d '{"serial":"SN-1","manufacturer":"Acme","model":"WM-200"}' http://127.0.0.1:3001/devices`,
    );
    console.log('Ctrl-C stops the services (Kafka keeps running: npm run stop).\n');
  },
  (error: unknown) => {
    console.error(String(error));
    void stop(1);
  },
);
