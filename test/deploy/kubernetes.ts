import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
// The Kubernetes API group "apps", not an app of this repository.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as batch from 'kubernetes-models/batch/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { kafkaTopicSchema } from './strimzi';

export const ROOT = resolve(__dirname, '..', '..');
export const KUBERNETES = resolve(ROOT, 'deploy', 'kubernetes');

/** A rendered Kubernetes object; fields are read loosely, the schemas vouch for their shape. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- deep reads of rendered YAML
  [field: string]: any;
}

/**
 * kubectl, from KUBECTL or the PATH. Missing, it is an error and not a reason to skip: these
 * tests are the only check of the manifests this repository has.
 */
let checked: string | undefined;

export function kubectl(): string {
  if (checked) return checked;
  const binary = process.env['KUBECTL'] ?? 'kubectl';
  let version: { kustomizeVersion?: string };
  try {
    version = JSON.parse(
      execFileSync(binary, ['version', '--client', '-o', 'json'], { encoding: 'utf8', stdio: 'pipe' }),
    ) as { kustomizeVersion?: string };
  } catch (error) {
    throw new Error(
      `kubectl (${binary}) is needed to render deploy/kubernetes with \`kubectl kustomize\` and was not found ` +
        `or does not run (${(error as Error).message.split('\n')[0]}). Install kubectl 1.27 or newer ` +
        "(Debian bookworm's kubernetes-client is too old), or point KUBECTL at one.",
    );
  }
  // Components, `labels` and `replicas` need kustomize 5 (kubectl 1.27+).
  const major = Number(/^v?(\d+)/.exec(version.kustomizeVersion ?? '')?.[1] ?? 0);
  if (major < 5)
    throw new Error(
      `${binary} embeds kustomize ${version.kustomizeVersion ?? '?'}; the manifests need 5 (kubectl 1.27+)`,
    );
  return binary;
}

/** `kubectl kustomize <dir>`, parsed. */
export function render(dir: string): K8sObject[] {
  const yaml = execFileSync(kubectl(), ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return parseAllDocuments(yaml).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${dir}: ${doc.errors[0]!.message}`);
    return doc.toJS() as K8sObject;
  });
}

type Validator = { prototype: { validate(): void } };

/** JSON-schema validators of every kind the manifests use, by `apiVersion/kind`. */
const MODELS = new Map<string, Validator>();
for (const group of [core, apps, autoscaling, policy, networking, batch, monitoring, keda]) {
  for (const model of Object.values(group) as unknown[]) {
    if (typeof model !== 'function') continue;
    const { apiVersion, kind } = model as { apiVersion?: string; kind?: string };
    if (apiVersion && kind) MODELS.set(`${apiVersion}/${kind}`, model);
  }
}

/**
 * Problems of one object against its API schema: the Kubernetes OpenAPI schemas (kubernetes-models),
 * the Prometheus Operator's and KEDA's CRD schemas, and Strimzi's KafkaTopic (./strimzi).
 *
 * The generated validators ignore fields the schema does not know, where the API server (strict
 * field validation) rejects them; so every property the validator never looked at is reported too.
 */
export function schemaProblems(object: K8sObject): string[] {
  const where = `${object.kind} ${object.metadata?.name}`;
  if (object.apiVersion === 'kafka.strimzi.io/v1beta2' && object.kind === 'KafkaTopic') {
    const result = kafkaTopicSchema.safeParse(object);
    return result.success ? [] : result.error.issues.map((i) => `${where}: ${i.path.join('.')} ${i.message}`);
  }
  const model = MODELS.get(`${object.apiVersion}/${object.kind}`);
  if (!model) return [`${where}: no schema for ${object.apiVersion} ${object.kind}`];
  const visited = new Map<object, { path: string; read: Set<string> }>();
  try {
    model.prototype.validate.call(watchReads(object, '', visited));
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
  return [...visited].flatMap(([value, { path, read }]) =>
    Array.isArray(value)
      ? []
      : Object.keys(value)
          .filter((key) => !read.has(key))
          .map((key) => `${where}: unknown field ${path}/${key}`),
  );
}

/** A proxy of `value` recording which properties were read, at every depth. */
function watchReads(
  value: object,
  path: string,
  visited: Map<object, { path: string; read: Set<string> }>,
): object {
  const read = new Set<string>();
  visited.set(value, { path, read });
  return new Proxy(value, {
    get(target, key, receiver) {
      const inner: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return inner;
      read.add(key);
      return typeof inner === 'object' && inner !== null
        ? watchReads(inner, `${path}/${key}`, visited)
        : inner;
    },
    // Maps (labels, ConfigMap data) are walked key by key: all of their keys count as read.
    ownKeys(target) {
      const keys = Reflect.ownKeys(target);
      keys.forEach((key) => typeof key === 'string' && read.add(key));
      return keys;
    },
  });
}

export const byKind = (objects: readonly K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found;
}

/** The Deployment or StatefulSet running `service`. */
export function workload(objects: readonly K8sObject[], service: string): K8sObject {
  const found = objects.find(
    (o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && o.metadata.name === service,
  );
  if (!found) throw new Error(`no workload ${service}`);
  return found;
}
