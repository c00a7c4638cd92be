import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KUBERNETES, ROOT, type K8sObject } from './kubernetes';

/** Where a variable of a container comes from, and what it is set to. */
export interface EnvEntry {
  readonly value: string;
  /** `ConfigMap fleet-platform-…`, `Secret fleet-platform-secrets (template)`, `env`… */
  readonly source: string;
}

/** `KEY=value` lines of an env file (kustomize's and `kubectl create secret --from-env-file`'s format). */
export function parseEnvFile(text: string): Map<string, string> {
  const entries = text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return new Map(entries);
}

/** Secret templates (base/generated/secrets/<name>.env.example), for Secrets created per environment. */
export function secretTemplates(): Map<string, Map<string, string>> {
  const dir = join(KUBERNETES, 'base', 'generated', 'secrets');
  if (!existsSync(dir)) return new Map();
  return new Map(
    readdirSync(dir)
      .filter((file) => file.endsWith('.env.example'))
      .map((file) => [
        file.replace(/\.env\.example$/, ''),
        parseEnvFile(readFileSync(join(dir, file), 'utf8')),
      ]),
  );
}

function secretData(secret: K8sObject): Map<string, string> {
  const data = Object.entries((secret['data'] ?? {}) as Record<string, string>).map(
    ([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')] as const,
  );
  const stringData = Object.entries((secret['stringData'] ?? {}) as Record<string, string>);
  return new Map([...data, ...stringData]);
}

/**
 * The environment the first container of a workload gets, in Kubernetes' order: envFrom sources
 * one after the other (later ones win), then `env`. A Secret that the manifests do not render is
 * created per environment: its keys come from its template. Also returns what is wrong (a
 * reference to nothing).
 */
export function containerEnv(
  objects: readonly K8sObject[],
  workload: K8sObject,
): { env: Map<string, EnvEntry>; problems: string[] } {
  const container = workload['spec'].template.spec.containers[0];
  const env = new Map<string, EnvEntry>();
  const problems: string[] = [];
  const templates = secretTemplates();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      const map = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef.name);
      if (!map) {
        if (!from.configMapRef.optional) problems.push(`ConfigMap ${from.configMapRef.name} is not rendered`);
        continue;
      }
      for (const [key, value] of Object.entries((map['data'] ?? {}) as Record<string, string>))
        env.set(key, { value, source: `ConfigMap ${map.metadata.name}` });
    } else if (from.secretRef) {
      const name: string = from.secretRef.name;
      const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
      const data = secret ? secretData(secret) : templates.get(name);
      if (!data) {
        if (!from.secretRef.optional) problems.push(`Secret ${name} is neither rendered nor templated`);
        continue;
      }
      for (const [key, value] of data)
        env.set(key, { value, source: secret ? `Secret ${name}` : `Secret ${name} (template)` });
    }
  }
  for (const variable of container.env ?? []) {
    const field = variable.valueFrom?.fieldRef?.fieldPath as string | undefined;
    const value = variable.value ?? (field === 'metadata.name' ? `${workload.metadata.name}-0` : '');
    env.set(variable.name, { value, source: field ? `env from ${field}` : 'env' });
  }
  return { env, problems };
}

/**
 * Variables read straight from process.env (not through a schema) by a service's code or by the
 * libraries every service loads: `process.env['X']` or `process.env.X`.
 */
export function directEnvReads(service: string): string[] {
  const dirs = [
    join(ROOT, 'apps', service, 'src'),
    ...readdirSync(join(ROOT, 'libs'))
      .filter((lib) => lib !== 'testing')
      .map((lib) => join(ROOT, 'libs', lib, 'src')),
  ];
  const keys = new Set<string>();
  for (const dir of dirs.filter(existsSync)) {
    for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || /\.(spec|conformance)\.ts$/.test(file)) continue;
      const text = readFileSync(join(dir, file), 'utf8');
      for (const match of text.matchAll(
        /process\.env(?:\.([A-Z_][A-Z0-9_]*)|\[['"]([A-Z_][A-Z0-9_]*)['"]\])/g,
      ))
        keys.add((match[1] ?? match[2])!);
    }
  }
  return [...keys].sort();
}
