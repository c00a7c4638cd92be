import { Option, type Command } from 'commander';
import { arg, usageError } from '../../cli';
import { formatValue, table } from '../../format';
import { parseInteger } from '../../parse';
import {
  DEFAULT_FUOTA_URL,
  FuotaApi,
  issueOperatorToken,
  type Artifact,
  type ArtifactHistoryEntry,
} from './fuota-api';
import { devSigningKey, loadSigningKey, signImage, type SigningKey } from './signing';

interface Output {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

interface FirmwareGlobals {
  readonly fuotaUrl: string;
  readonly token?: string;
  readonly json?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

/**
 * `fleetctl firmware ...`: sign images like a manufacturer's build, upload them to
 * fuota-orchestrator (declaration, then the image, streamed), list and show artifacts.
 */
export function registerFirmwareCommands(program: Command, io: Output, env: NodeJS.ProcessEnv): void {
  const firmware = program
    .command('firmware')
    .description('firmware artifacts: sign, upload (fuota-orchestrator), list, show')
    .addOption(
      new Option('--fuota-url <url>', 'fuota-orchestrator base URL')
        .env('FLEET_FUOTA_URL')
        .default(DEFAULT_FUOTA_URL),
    );

  const api = (command: Command) => {
    const options = command.optsWithGlobals<FirmwareGlobals>();
    if (!URL.canParse(options.fuotaUrl) || !/^https?:$/.test(new URL(options.fuotaUrl).protocol)) {
      usageError(command, `--fuota-url: "${options.fuotaUrl}" is not an http(s) URL`);
    }
    return {
      api: new FuotaApi(options.fuotaUrl, async () => options.token || issueOperatorToken(env)),
      print: <T>(body: T, render: (body: T) => string) =>
        io.stdout(`${options.json ? JSON.stringify(body, null, 2) : render(body)}\n`),
    };
  };

  firmware
    .command('sign')
    .description(
      'print the signed metadata of FILE (JSON for POST /artifacts): sha256, size, version, signature, keyId, algorithm',
    )
    .argument('<file>', 'the firmware image')
    .requiredOption('--key <pem>', 'manufacturer private key (PEM), ECDSA P-256 or Ed25519')
    .option(
      '--key-id <id>',
      'key id the server knows the public key by (default: the file name without .key.pem)',
    )
    .requiredOption('--version <version>', 'semantic version the image is released as')
    .action(
      async (file: string, options: { key: string; keyId?: string; version: string }, command: Command) => {
        const key = await readKey(command, options.key, options.keyId);
        const signed = await sign(command, file, options.version, key);
        io.stdout(`${JSON.stringify(signed, null, 2)}\n`);
      },
    );

  firmware
    .command('upload')
    .description(
      'sign FILE (development key by default) and upload it: declaration, then the image, streamed',
    )
    .argument('<file>', 'the firmware image')
    .requiredOption('--version <version>', 'semantic version the image is released as')
    .requiredOption('--model <model>', 'device model it is for; repeat or separate by commas', collect)
    .option('--hardware-revision <rev>', 'hardware revision it is for; repeat or separate by commas', collect)
    .option('--release-notes <text>', 'release notes')
    .option('--key <pem>', 'manufacturer private key (default: the local development key)')
    .option('--key-id <id>', 'key id (default: the file name without .key.pem)')
    .option('--reason <text>', 'why, recorded with the declaration')
    .action(async (file: string, options: UploadOptions, command: Command) => {
      const key = options.key
        ? await readKey(command, options.key, options.keyId)
        : await devSigningKey((await import('@fleet/auth')).findRepoRoot());
      const signed = await sign(command, file, options.version, key);
      const { api: client, print } = api(command);
      const declared = await client.declare({
        ...signed,
        models: options.model,
        hardwareRevisions: options.hardwareRevision ?? [],
        releaseNotes: options.releaseNotes ?? null,
        reason: options.reason ?? null,
      });
      const artifact = await client.uploadImage(declared.artifactId, file, signed.size);
      print(artifact, formatArtifact);
    });

  firmware
    .command('list')
    .description('artifacts, newest first: id | version | models | status | size | key | created')
    .option('--model <model>', 'for this model')
    .option('--version <version>', 'of this version')
    .addOption(
      new Option('--status <status>', 'in this status').choices(['awaiting-image', 'published', 'refused']),
    )
    .option('--limit <n>', 'at most this many', arg(parseInteger))
    .action(
      async (
        options: { model?: string; version?: string; status?: string; limit?: number },
        command: Command,
      ) => {
        const { api: client, print } = api(command);
        print(await client.list({ ...options }), ({ items }) =>
          table(
            ['id', 'version', 'models', 'status', 'size', 'key', 'created'],
            items.map((a) => [
              a.artifactId,
              a.version,
              a.models.join(', '),
              a.status,
              String(a.size),
              formatValue(a.keyId),
              a.createdAt,
            ]),
          ),
        );
      },
    );

  firmware
    .command('show')
    .description('an artifact and its history (refusals included)')
    .argument('<id>', 'artifact id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { api: client, print } = api(command);
      const [artifact, history] = await Promise.all([client.get(id), client.history(id)]);
      print(
        { ...artifact, history: history.items },
        (body) => `${formatArtifact(body)}\n${formatArtifactHistory(body.history)}`,
      );
    });
}

interface UploadOptions {
  readonly version: string;
  readonly model: string[];
  readonly hardwareRevision?: string[];
  readonly releaseNotes?: string;
  readonly key?: string;
  readonly keyId?: string;
  readonly reason?: string;
}

async function readKey(command: Command, path: string, keyId?: string): Promise<SigningKey> {
  try {
    return await loadSigningKey(path, keyId);
  } catch (error) {
    return usageError(command, `--key ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function sign(command: Command, file: string, version: string, key: SigningKey) {
  try {
    return await signImage(file, version, key);
  } catch (error) {
    return usageError(command, error instanceof Error ? error.message : String(error));
  }
}

export function formatArtifact(a: Artifact): string {
  const rows: [string, unknown][] = [
    ['status', a.refusal ? `${a.status} (${a.refusal.reason}: ${a.refusal.detail})` : a.status],
    ['version', a.version],
    ['models', a.models.join(', ')],
    ['hardware', a.hardwareRevisions.join(', ') || 'any revision'],
    ['image', `${a.size} bytes, sha256 ${a.sha256}`],
    ['package', a.packageSize === null ? null : `${a.packageSize} bytes`],
    ['signed by', a.keyId === null ? null : `${a.keyId} (${a.algorithm})`],
    ['created', `${a.createdAt} by ${a.createdBy}`],
    ['published', a.publishedAt],
    ['notes', a.releaseNotes],
  ];
  return [`Artifact ${a.artifactId}`, ...rows.map(([k, v]) => `  ${k.padEnd(10)} ${formatValue(v)}`)].join(
    '\n',
  );
}

function formatArtifactHistory(entries: readonly ArtifactHistoryEntry[]): string {
  return table(
    ['version', 'time', 'type', 'actor', 'detail'],
    entries.map((e) => [
      String(e.version),
      e.occurredAt,
      e.type,
      `${e.actor.type}:${e.actor.id}`,
      formatValue(e.data['detail'] ?? e.reason),
    ]),
  );
}
