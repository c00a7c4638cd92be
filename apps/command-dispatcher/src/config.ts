import { loadServiceConfig } from '@fleet/platform';

export const COMMAND_DISPATCHER_PORT = 3002;

/** command-dispatcher reads only the platform keys for now (see libs/platform and libs/auth). */
export const loadCommandDispatcherConfig = (env: NodeJS.ProcessEnv = process.env) =>
  loadServiceConfig('command-dispatcher', COMMAND_DISPATCHER_PORT, {}, env);

export type CommandDispatcherConfig = ReturnType<typeof loadCommandDispatcherConfig>;
