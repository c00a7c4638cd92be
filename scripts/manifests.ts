/**
 * Generates the parts of deploy/kubernetes that must follow the code, so they never drift from it:
 *
 * - `base/generated/*.env`: one ConfigMap per service (its own keys) and one shared by all (the
 *   platform and auth keys), every non-secret key with the default the code gives it;
 * - `base/generated/secrets/*.env.example`: the keys of each Secret, to fill in per environment;
 * - `topics/kafka-topics.yaml`: a Strimzi KafkaTopic per topic of the catalogue (allTopics()).
 *
 *   npm run manifests             # writes the files
 *   npm run manifests -- --check  # exits 1 when a file is not what the code says
 *
 * Keys come from each service's exported key object (`<service>Keys` in apps/<service>/src/config.ts)
 * and from serviceConfigSchema in libs/platform, i.e. from the very schema the service validates.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { allTopics, type TopicSpec } from '@fleet/contracts';
import { serviceConfigSchema } from '@fleet/platform';
import { stringify } from 'yaml';
import type { z } from 'zod';
import * as alerting from '../apps/alerting/src/config';
import * as commandDispatcher from '../apps/command-dispatcher/src/config';
import * as deviceTwin from '../apps/device-twin/src/config';
import * as fuotaOrchestrator from '../apps/fuota-orchestrator/src/config';
import * as ingestion from '../apps/ingestion/src/config';
import { SERVICES, type ServiceName } from './services';

const ROOT = resolve(__dirname, '..');
export const KUBERNETES_DIR = join(ROOT, 'deploy', 'kubernetes');

const CONFIG_MODULES: Record<ServiceName, Record<string, unknown>> = {
  'device-twin': deviceTwin,
  'command-dispatcher': commandDispatcher,
  'fuota-orchestrator': fuotaOrchestrator,
  alerting,
  ingestion,
};

/** Keys that libraries read straight from the environment rather than through a schema. */
const DIRECT_KEYS: Record<string, { value: string; description: string }> = {
  NODE_ENV: {
    value: 'production',
    description:
      'production refuses development fallbacks (local signing key, local broker passwords, development KEK)',
  },
};

/**
 * Keys whose code default depends on the machine (the host name): set per pod from the downward
 * API in the workload instead of a ConfigMap.
 */
export const POD_KEYS: Record<string, string> = { INGESTION_INSTANCE_ID: 'metadata.name' };

/** Passwords, keys, tokens, and connection strings that may carry credentials. */
const SECRET_KEY =
  /PASSWORD|SECRET|(^|_)TOKEN$|PRIVATE|CREDENTIAL|KEK$|(^|_)KEY$|^(PG|EVENTSTORE|DATABASE)_URL$/;

/** Strimzi: replicas of every topic and the in-sync replicas an acknowledged write needs. */
export const TOPIC_REPLICAS = 3;
export const TOPIC_MIN_IN_SYNC_REPLICAS = 2;
/** The Kafka cluster's name, as Strimzi's topic operator expects in the `strimzi.io/cluster` label. */
export const KAFKA_CLUSTER = 'fleet-kafka';

export interface ConfigKey {
  readonly name: string;
  /** What the manifests set; '' (unset, as loadConfig reads empty values) for keys without a default. */
  readonly value: string;
  readonly description: string;
  readonly secret: boolean;
}

export interface ServiceConfigKeys {
  readonly service: ServiceName;
  readonly port: number;
  /** Keys only this service reads (its ConfigMap `fleet-<service>` and Secret `fleet-<service>-secrets`). */
  readonly own: readonly ConfigKey[];
  /** Keys set per pod in the workload (see {@link POD_KEYS}). */
  readonly perPod: readonly string[];
}

export const camelCase = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The key object a service's config.ts exports as `<camelCaseService>Keys`. */
export function serviceKeys(service: ServiceName): z.ZodRawShape {
  const exportName = `${camelCase(service)}Keys`;
  const keys = CONFIG_MODULES[service][exportName];
  const isShape =
    typeof keys === 'object' &&
    keys !== null &&
    Object.values(keys).every((v) => typeof v === 'object' && v !== null && '_zod' in v);
  if (!isShape) {
    throw new Error(
      `apps/${service}/src/config.ts must export its configuration keys as \`export const ${exportName} = { ... }\` ` +
        'so that the Kubernetes manifests can be generated from them (npm run manifests)',
    );
  }
  return keys as z.ZodRawShape;
}

/** The service's `load<Service>Config`: tests check that the manifests' values pass its validation. */
export function configLoader(service: ServiceName): (env: NodeJS.ProcessEnv) => Record<string, unknown> {
  const name = `load${camelCase(`-${service}`)}Config`;
  const loader = CONFIG_MODULES[service][name];
  if (typeof loader !== 'function') throw new Error(`apps/${service}/src/config.ts exports no ${name}`);
  return loader as (env: NodeJS.ProcessEnv) => Record<string, unknown>;
}

/** Default (as the environment would spell it) and description of one key's schema. */
function describeKey(schema: z.ZodType): { value: string; description: string } {
  let description: string | undefined;
  let value: string | undefined;
  // Wrappers (default, optional, pipe) each may carry the description; the first default wins.
  for (let current: z.ZodType | undefined = schema; current;) {
    description ??= current.description;
    const def = current._zod.def as unknown as {
      type: string;
      defaultValue?: unknown;
      innerType?: z.ZodType;
      in?: z.ZodType;
    };
    if (def.type === 'default') value ??= envValue(def.defaultValue);
    current = def.innerType ?? def.in;
  }
  return { value: value ?? '', description: description ?? '' };
}

function envValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(',');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function toKeys(shape: z.ZodRawShape, names: readonly string[]): ConfigKey[] {
  return names.map((name) => {
    const direct = DIRECT_KEYS[name];
    const described = direct ?? describeKey(shape[name] as z.ZodType);
    return { name, ...described, secret: SECRET_KEY.test(name) };
  });
}

/** Keys every service reads: the platform and auth keys (but the HTTP port) and {@link DIRECT_KEYS}. */
export function sharedKeys(): ConfigKey[] {
  const shape = serviceConfigSchema(0).shape as z.ZodRawShape;
  const names = [...Object.keys(shape).filter((k) => k !== 'HTTP_PORT'), ...Object.keys(DIRECT_KEYS)];
  return toKeys(shape, [...new Set(names)]);
}

export function serviceConfigKeys(): ServiceConfigKeys[] {
  const shared = new Set(sharedKeys().map((k) => k.name));
  return SERVICES.map(({ name, port }) => {
    const shape = serviceConfigSchema(port, serviceKeys(name)).shape as z.ZodRawShape;
    const own = Object.keys(shape).filter((k) => !shared.has(k) && !(k in POD_KEYS));
    return {
      service: name,
      port,
      own: toKeys(shape, own),
      perPod: Object.keys(shape).filter((k) => k in POD_KEYS),
    };
  });
}

const GENERATED_NOTE =
  'Generated by scripts/manifests.ts from the code; do not edit: run `npm run manifests`.';

function envFile(title: string, keys: readonly ConfigKey[], example = false): string {
  const lines = [`# ${title}`, `# ${GENERATED_NOTE}`];
  for (const key of keys) {
    lines.push('', `# ${key.description || key.name}`.replace(/\n/g, ' '));
    lines.push(`${key.name}=${example ? '' : key.value}`);
  }
  return `${lines.join('\n')}\n`;
}

export function kafkaTopic(topic: TopicSpec) {
  return {
    apiVersion: 'kafka.strimzi.io/v1beta2',
    kind: 'KafkaTopic',
    metadata: {
      name: topic.name,
      labels: { 'strimzi.io/cluster': KAFKA_CLUSTER, 'app.kubernetes.io/part-of': 'fleetwise' },
    },
    spec: {
      topicName: topic.name,
      partitions: topic.partitions,
      replicas: TOPIC_REPLICAS,
      config: {
        'cleanup.policy': topic.compacted ? 'compact' : 'delete',
        'retention.ms': topic.retentionMs,
        'min.insync.replicas': TOPIC_MIN_IN_SYNC_REPLICAS,
      },
    },
  };
}

function topicsFile(): string {
  const documents = allTopics().map((topic) => `# ${topic.description}\n${stringify(kafkaTopic(topic))}`);
  return `# Strimzi topics of the catalogue (libs/contracts/src/topics.ts).\n# ${GENERATED_NOTE}\n---\n${documents.join('---\n')}`;
}

/** Every generated file, by path relative to deploy/kubernetes. */
export function renderGenerated(): Map<string, string> {
  const files = new Map<string, string>();
  const shared = sharedKeys();
  files.set(
    'base/generated/platform.env',
    envFile(
      'ConfigMap fleet-platform: keys every service reads',
      shared.filter((k) => !k.secret),
    ),
  );
  files.set(
    'base/generated/secrets/fleet-platform-secrets.env.example',
    envFile(
      'Secret fleet-platform-secrets: fill in and create per environment (see docs/deploy.md)',
      shared.filter((k) => k.secret),
      true,
    ),
  );
  for (const { service, own } of serviceConfigKeys()) {
    files.set(
      `base/generated/${service}.env`,
      envFile(
        `ConfigMap fleet-${service}: keys only ${service} reads`,
        own.filter((k) => !k.secret),
      ),
    );
    const secrets = own.filter((k) => k.secret);
    if (secrets.length > 0) {
      files.set(
        `base/generated/secrets/fleet-${service}-secrets.env.example`,
        envFile(`Secret fleet-${service}-secrets: fill in and create per environment`, secrets, true),
      );
    }
  }
  files.set('topics/kafka-topics.yaml', topicsFile());
  return files;
}

/** Files under base/generated that the code no longer generates (a key object lost its last secret...). */
function leftoverFiles(rendered: Map<string, string>): string[] {
  const dir = join(KUBERNETES_DIR, 'base', 'generated');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(KUBERNETES_DIR, join(entry.parentPath, entry.name)))
    .filter((path) => !rendered.has(path));
}

/** Paths (relative to deploy/kubernetes) that differ from what the code generates, or should not exist. */
export function staleFiles(): string[] {
  const rendered = renderGenerated();
  const differing = [...rendered].flatMap(([path, content]) => {
    const file = join(KUBERNETES_DIR, path);
    return existsSync(file) && readFileSync(file, 'utf8') === content ? [] : [path];
  });
  return [...differing, ...leftoverFiles(rendered)];
}

function main(): void {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    if (stale.length > 0) {
      console.error(`manifests: out of date, run npm run manifests:\n  ${stale.join('\n  ')}`);
      process.exit(1);
    }
    console.log('manifests: up to date');
    return;
  }
  const rendered = renderGenerated();
  for (const path of leftoverFiles(rendered)) {
    rmSync(join(KUBERNETES_DIR, path));
    console.log(`manifests: removed deploy/kubernetes/${path}`);
  }
  for (const [path, content] of rendered) {
    const file = join(KUBERNETES_DIR, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    console.log(`manifests: wrote deploy/kubernetes/${path}`);
  }
}

if (require.main === module) main();
