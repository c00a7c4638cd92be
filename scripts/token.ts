/**
 * Prints a development bearer token, and nothing else, on stdout:
 *
 *   TOKEN=$(npm run -s token -- --role admin [--role support] [--subject alice] [--ttl 1h])
 *
 * Signs with the local development key (created on first use), using the same AUTH_* env keys as
 * the services so that the token matches their configuration.
 */
import { parseArgs } from 'node:util';
import { authConfigFromEnv, authEnvSchema, issueDevToken, ROLES, UnknownRoleError } from '@fleet/auth';
import { loadConfig } from '@fleet/observability';

const USAGE = `usage: npm run -s token -- --role <${ROLES.join('|')}> [--role ...] [--subject <sub>] [--ttl <8h>]`;

/** Exit code for bad usage, as for most CLIs. */
const EXIT_USAGE = 2;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(EXIT_USAGE);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        role: { type: 'string', short: 'r', multiple: true },
        subject: { type: 'string', short: 's' },
        ttl: { type: 'string', short: 't' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.role?.length) fail(`--role is required; valid roles: ${ROLES.join(', ')}`);

  const config = authConfigFromEnv(loadConfig(authEnvSchema, process.env, 'token'));
  try {
    const token = await issueDevToken({
      ...config,
      roles: values.role,
      subject: values.subject,
      ttl: values.ttl,
    });
    process.stdout.write(`${token}\n`);
  } catch (error) {
    if (error instanceof UnknownRoleError) fail(error.message);
    // jose rejects malformed lifetimes with a TypeError; anything else is unexpected.
    if (error instanceof TypeError) fail(`invalid --ttl "${values.ttl}": ${error.message}`);
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`token: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
