import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { DeviceBrokerAccess } from './device-broker-access';
import { deviceAclTopicFilters } from '@fleet/device-protocol';

const CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';
const RESPONSE_TOPIC = `${CONTROL_TOPIC}/response`;
/**
 * Mosquitto rewrites its whole configuration file after every control message, so commands
 * arriving together (bulk provisioning) are sent as one message, up to a size well below the
 * broker's max_packet_size (256 KiB in deploy/local/mosquitto.sh; a larger packet is dropped).
 */
const MAX_MESSAGE_BYTES = 128 * 1024;
const RESPONSE_TIMEOUT_MS = 30_000;

type ControlCommand = { readonly command: string } & Record<string, unknown>;
interface ControlResponse {
  readonly command: string;
  readonly error?: string;
}
interface PendingBatch {
  readonly commands: ControlCommand[];
  readonly bytes: number;
  readonly resolve: (responses: ControlResponse[]) => void;
  readonly reject: (error: Error) => void;
}

export class DynamicSecurityError extends Error {
  constructor(
    message: string,
    readonly responses: readonly ControlResponse[],
  ) {
    super(message);
    this.name = 'DynamicSecurityError';
  }
}

/** Errors that mean "already as wanted": commands are replayed after crashes and retries. */
const HARMLESS = new Set(['Role already exists', 'Client not found', 'Role not found']);

/**
 * Device access on Mosquitto 2.0 through its dynamic-security plugin, managed over the control
 * topic. Mosquitto 2.0 has no per-client ACL templates, so every device gets its own role granting
 * its own topics, and a client whose client id is fixed to the device id (no session takeover).
 */
export class MosquittoDynamicSecurity implements DeviceBrokerAccess {
  private queue: PendingBatch[] = [];
  private flushScheduled = false;
  private readonly waiting = new Map<string, { batches: PendingBatch[]; timer: NodeJS.Timeout }>();
  private subscribed?: Promise<unknown>;

  constructor(private readonly connect: () => Promise<MqttClient>) {}

  async registerDevice(deviceId: string, password: string, enabled: boolean): Promise<void> {
    const rolename = roleOf(deviceId);
    // A new client is enabled; every command costs Mosquitto 2.0 a rewrite of its whole
    // configuration file, so nothing is sent that is not needed.
    const created = await this.send([
      { command: 'createRole', rolename, acls: deviceAcls(deviceId) },
      {
        command: 'createClient',
        username: deviceId,
        clientid: deviceId,
        password,
        roles: [{ rolename }],
      },
      ...(enabled ? [] : [{ command: 'disableClient', username: deviceId }]),
    ]);
    if (created[1]?.error !== 'Client already exists') return assertSucceeded(created);
    // Re-enrolment or a retried provisioning: the client exists, so update it instead.
    assertSucceeded(
      await this.send([
        { command: 'setClientPassword', username: deviceId, password },
        { command: 'setClientId', username: deviceId, clientid: deviceId },
        // 2.0 answers "Internal error" to adding a role the client already has.
        { command: 'removeClientRole', username: deviceId, rolename },
        { command: 'addClientRole', username: deviceId, rolename },
        { command: enabled ? 'enableClient' : 'disableClient', username: deviceId },
      ]),
      ['Role not found', 'ACL not found'],
    );
  }

  /** Disabling a client also closes its live session (Mosquitto kicks it). */
  async setDeviceEnabled(deviceId: string, enabled: boolean): Promise<void> {
    assertSucceeded(
      await this.send([{ command: enabled ? 'enableClient' : 'disableClient', username: deviceId }]),
    );
  }

  async removeDevice(deviceId: string): Promise<void> {
    assertSucceeded(
      await this.send([
        { command: 'deleteClient', username: deviceId },
        { command: 'deleteRole', rolename: roleOf(deviceId) },
      ]),
    );
  }

  private send(commands: ControlCommand[]): Promise<ControlResponse[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        commands,
        bytes: JSON.stringify(commands).length + 64 * commands.length,
        resolve,
        reject,
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const pending = this.queue;
    this.queue = [];
    let batches: PendingBatch[] = [];
    let size = 0;
    const publish = async () => {
      const sending = batches;
      batches = [];
      size = 0;
      await this.publish(sending).catch((error: Error) => sending.forEach((b) => b.reject(error)));
    };
    for (const next of pending) {
      if (batches.length > 0 && size + next.bytes > MAX_MESSAGE_BYTES) await publish();
      batches.push(next);
      size += next.bytes;
    }
    if (batches.length > 0) await publish();
  }

  private async publish(batches: PendingBatch[]): Promise<void> {
    const client = await this.connect();
    this.subscribed ??= this.listen(client);
    await this.subscribed;
    const correlationData = randomUUID();
    const timer = setTimeout(() => {
      this.waiting.delete(correlationData);
      const error = new Error(`no answer from the broker's dynamic security in ${RESPONSE_TIMEOUT_MS} ms`);
      batches.forEach((b) => b.reject(error));
    }, RESPONSE_TIMEOUT_MS);
    this.waiting.set(correlationData, { batches, timer });
    const commands = batches.flatMap((b) => b.commands.map((c) => ({ ...c, correlationData })));
    await client.publishAsync(CONTROL_TOPIC, JSON.stringify({ commands }), { qos: 1 });
  }

  private async listen(client: MqttClient): Promise<void> {
    client.on('message', (topic, payload) => {
      if (topic === RESPONSE_TOPIC) this.onResponse(payload);
    });
    await client.subscribeAsync(RESPONSE_TOPIC, { qos: 1 });
  }

  private onResponse(payload: Buffer): void {
    let responses: (ControlResponse & { correlationData?: string })[];
    try {
      responses = (JSON.parse(payload.toString('utf8')) as { responses: typeof responses }).responses;
    } catch {
      return; // not ours to judge; a malformed answer times the request out
    }
    const correlationData = responses[0]?.correlationData;
    const entry = correlationData === undefined ? undefined : this.waiting.get(correlationData);
    if (!entry || correlationData === undefined) return;
    this.waiting.delete(correlationData);
    clearTimeout(entry.timer);
    let offset = 0;
    for (const batch of entry.batches) {
      batch.resolve(responses.slice(offset, offset + batch.commands.length));
      offset += batch.commands.length;
    }
  }
}

const roleOf = (deviceId: string) => `device-${deviceId}`;

function deviceAcls(deviceId: string) {
  const { publish, subscribe: receive } = deviceAclTopicFilters(deviceId);
  return [
    { acltype: 'publishClientSend', topic: publish, priority: 0, allow: true },
    { acltype: 'subscribePattern', topic: receive, priority: 0, allow: true },
    { acltype: 'publishClientReceive', topic: receive, priority: 0, allow: true },
  ];
}

function assertSucceeded(responses: readonly ControlResponse[], alsoHarmless: readonly string[] = []): void {
  const failed = responses.filter(
    (r) => r.error !== undefined && !HARMLESS.has(r.error) && !alsoHarmless.includes(r.error),
  );
  if (failed.length > 0) {
    throw new DynamicSecurityError(
      `broker refused: ${failed.map((r) => `${r.command}: ${r.error ?? ''}`).join('; ')}`,
      responses,
    );
  }
}
