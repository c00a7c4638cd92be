import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { allTopics } from '@fleet/contracts';
import { serviceConfigSchema } from '@fleet/platform';
import { configLoader, kafkaTopic, POD_KEYS, serviceKeys, staleFiles } from '../../scripts/manifests';
import { SERVICES } from '../../scripts/services';
import { containerEnv, directEnvReads } from './container-env';
import { byKind, find, KUBERNETES, render, schemaProblems, workload, type K8sObject } from './kubernetes';

/** Services that talk to the MQTT broker (uplinks, downlinks, device registration). */
const MQTT_SERVICES = new Set(['ingestion', 'command-dispatcher', 'device-twin', 'fuota-orchestrator']);
const PRE_STOP_SECONDS = 5;

/** production with every optional component, so that the components are rendered and checked too. */
function renderEverything(): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-kustomize-'));
  const path = (p: string) => relative(dir, join(KUBERNETES, p));
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `resources: [${path('overlays/production')}]`,
      `components: [${['keda', 'eventstoredb', 'http-auth-broker'].map((c) => path(`components/${c}`)).join(', ')}]`,
    ].join('\n'),
  );
  try {
    return render(dir);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

/** Every key a service reads: its schema (platform, auth and own keys) and direct process.env reads. */
function keysRead(service: (typeof SERVICES)[number]): string[] {
  const schemaKeys = Object.keys(serviceConfigSchema(service.port, serviceKeys(service.name)).shape);
  return [...new Set([...schemaKeys, ...directEnvReads(service.name)])];
}

describe('Kubernetes manifests', () => {
  const rendered = {
    production: render(join(KUBERNETES, 'overlays/production')),
    local: render(join(KUBERNETES, 'overlays/local')),
    'production with every component': renderEverything(),
    topics: render(join(KUBERNETES, 'topics')),
  };
  const overlays = ['production', 'local', 'production with every component'] as const;

  it('are generated from the current code (npm run manifests)', () => {
    expect(staleFiles()).toEqual([]);
  });

  it.each(Object.keys(rendered))('%s: every object is valid against its API schema', (name) => {
    const objects = rendered[name as keyof typeof rendered];
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });

  it.each(overlays)(
    '%s: each service has its workload, Service, ServiceAccount, probes and limits',
    (overlay) => {
      const objects = rendered[overlay];
      for (const { name, port } of SERVICES) {
        const pod = workload(objects, name)['spec'].template.spec;
        const [container] = pod.containers;
        expect({ name, account: pod.serviceAccountName }).toEqual({ name, account: name });
        find(objects, 'ServiceAccount', name);
        expect(container.args).toEqual([name]);
        expect(container.ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }]);
        expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
        expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
        expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
        expect(container.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        const service = find(objects, 'Service', name)['spec'];
        expect(service.selector).toEqual({ 'app.kubernetes.io/name': name });
        expect(service.ports).toEqual([{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }]);
      }
    },
  );

  it.each(overlays)(
    '%s: every configuration key a service reads is set, and passes its validation',
    (overlay) => {
      const objects = rendered[overlay];
      const localSecrets = new Map(
        SERVICES.map(({ name }) => [name, containerEnv(rendered.local, workload(rendered.local, name)).env]),
      );
      for (const service of SERVICES) {
        const { env, problems } = containerEnv(objects, workload(objects, service.name));
        expect({ service: service.name, problems }).toEqual({ service: service.name, problems: [] });
        const missing = keysRead(service).filter((key) => !env.has(key));
        expect({ service: service.name, missing }).toEqual({ service: service.name, missing: [] });
        expect(env.get('HTTP_PORT')?.value).toBe(String(service.port));
        for (const key of Object.keys(POD_KEYS).filter((k) => env.has(k)))
          expect(env.get(key)?.source).toBe(`env from ${POD_KEYS[key]}`);

        // Secrets created per environment: the local overlay's values stand in for them.
        const values = Object.fromEntries(
          [...env].map(([key, { value, source }]) => [
            key,
            source.endsWith('(template)')
              ? (localSecrets.get(service.name)!.get(key)?.value ?? value)
              : value,
          ]),
        );
        const config = configLoader(service.name)(values);
        const unset = Object.keys(config).filter((key) => !env.has(key));
        expect({ service: service.name, unset }).toEqual({ service: service.name, unset: [] });
      }
    },
  );

  it.each(overlays)('%s: ConfigMaps hold only keys that some service reads', (overlay) => {
    const known = new Set(SERVICES.flatMap(keysRead));
    const unknown = byKind(rendered[overlay], 'ConfigMap')
      .filter((map) =>
        /^fleet-(platform|device-twin|command-dispatcher|fuota-orchestrator|alerting|ingestion)-/.test(
          map.metadata.name,
        ),
      )
      .flatMap((map) => Object.keys(map['data'] ?? {}).filter((key) => !known.has(key)));
    expect(unknown).toEqual([]);
  });

  it.each(overlays)('%s: the grace period covers the preStop delay and SHUTDOWN_TIMEOUT_MS', (overlay) => {
    const objects = rendered[overlay];
    for (const { name } of SERVICES) {
      const pod = workload(objects, name)['spec'].template.spec;
      const timeoutMs = Number(
        containerEnv(objects, workload(objects, name)).env.get('SHUTDOWN_TIMEOUT_MS')?.value,
      );
      expect(pod.containers[0].lifecycle.preStop.exec.command).toEqual(['sleep', String(PRE_STOP_SECONDS)]);
      // The service must end on its own (exit 0, or 1 with a log line) before Kubernetes' SIGKILL.
      const spare = pod.terminationGracePeriodSeconds - PRE_STOP_SECONDS - timeoutMs / 1000;
      expect({ name, spare: spare >= 2 && spare <= 10 }).toEqual({ name, spare: true });
    }
  });

  it.each(overlays)('%s: network policies let each service reach only what it needs', (overlay) => {
    const objects = rendered[overlay];
    for (const { name } of SERVICES) {
      const policy = find(objects, 'NetworkPolicy', name)['spec'];
      expect(policy.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': name } });
      expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(policy.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
      const egress = (policy.egress as { to?: unknown; ports: { port: number }[] }[]).flatMap((rule) =>
        rule.ports.map((p) => p.port),
      );
      expect(egress).toEqual(expect.arrayContaining([53, 9092, 5432, 2113, 443]));
      expect({ name, mqtt: egress.includes(1883) }).toEqual({ name, mqtt: MQTT_SERVICES.has(name) });
    }
  });

  it.each(overlays)('%s: Ingress routes each HTTP API to its Service port', (overlay) => {
    const objects = rendered[overlay];
    const [ingress] = byKind(objects, 'Ingress');
    for (const rule of ingress!['spec'].rules) {
      const backend = rule.http.paths[0].backend.service;
      const service = find(objects, 'Service', backend.name)['spec'];
      expect(service.ports.map((p: { name: string }) => p.name)).toContain(backend.port.name);
    }
  });

  it('production: autoscaling, disruption budgets and scraping for every service', () => {
    const objects = rendered.production;
    for (const { name } of SERVICES) {
      const target = workload(objects, name);
      const hpa = find(objects, 'HorizontalPodAutoscaler', name)['spec'];
      expect(hpa.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: target.kind, name });
      expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
      expect(target['spec'].replicas).toBeUndefined();
      expect(find(objects, 'PodDisruptionBudget', name)['spec'].maxUnavailable).toBe(1);
      const monitor = find(objects, 'ServiceMonitor', name)['spec'];
      expect(monitor.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    }
  });

  it('ingestion is a StatefulSet whose replicas name their MQTT sessions after the pod', () => {
    const objects = rendered.production;
    const ingestion = workload(objects, 'ingestion');
    expect(ingestion.kind).toBe('StatefulSet');
    expect(ingestion['spec'].template.spec.containers[0].env).toContainEqual({
      name: 'INGESTION_INSTANCE_ID',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    find(objects, 'Service', ingestion['spec'].serviceName);
  });

  it('KEDA scales on the lag of the group and topic the service itself consumes', () => {
    const objects = rendered['production with every component'];
    const scaled = byKind(objects, 'ScaledObject');
    expect(scaled.length).toBeGreaterThan(0);
    for (const object of scaled) {
      const name = object['spec'].scaleTargetRef.name;
      expect(() => find(objects, 'HorizontalPodAutoscaler', name)).toThrow();
      const { env } = containerEnv(objects, workload(objects, name));
      const kafka = object['spec'].triggers.find((t: { type: string }) => t.type === 'kafka').metadata;
      for (const key of ['bootstrapServersFromEnv', 'consumerGroupFromEnv', 'topicFromEnv'])
        expect({ name, key, set: env.has(kafka[key]) }).toEqual({ name, key, set: true });
    }
  });

  it('every topic of the catalogue has its KafkaTopic, as the catalogue declares it', () => {
    const topics = byKind(rendered.topics, 'KafkaTopic');
    const expected = allTopics().map((topic) => kafkaTopic(topic));
    expect(topics.map((t) => t.metadata.name).sort()).toEqual(expected.map((t) => t.metadata.name).sort());
    for (const topic of expected) {
      const actual = topics.find((t) => t.metadata.name === topic.metadata.name)!;
      expect(actual['spec']).toEqual(topic.spec);
    }
  });
});
