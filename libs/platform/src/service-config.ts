import { authEnvSchema } from '@fleet/auth';
import { loadConfig } from '@fleet/observability';
import { type z } from 'zod';
import { platformConfigSchema } from './platform.config';

/**
 * The schema of a service's environment: the platform keys (with the service's own HTTP port as
 * default), the auth keys and its own keys. Exported so that deployment manifests are generated
 * from the very schema the service validates (scripts/manifests.ts).
 */
export function serviceConfigSchema<TExtra extends z.ZodRawShape>(
  defaultPort: number,
  extra: TExtra = {} as TExtra,
) {
  return platformConfigSchema
    .extend({ HTTP_PORT: platformConfigSchema.shape.HTTP_PORT.default(defaultPort) })
    .extend(authEnvSchema.shape)
    .extend(extra)
    .superRefine((config, ctx) => {
      const c = config as { EVENT_STORE: string; EVENTSTORE_URL?: string };
      if (c.EVENT_STORE === 'eventstoredb' && !c.EVENTSTORE_URL) {
        ctx.addIssue({
          code: 'custom',
          path: ['EVENTSTORE_URL'],
          message: 'required when EVENT_STORE=eventstoredb',
        });
      }
    });
}

/**
 * Loads a service's configuration once, at start-up (see {@link serviceConfigSchema}). Throws a
 * message naming every bad key.
 */
export function loadServiceConfig<TExtra extends z.ZodRawShape>(
  service: string,
  defaultPort: number,
  extra: TExtra = {} as TExtra,
  env: NodeJS.ProcessEnv = process.env,
) {
  return loadConfig(serviceConfigSchema(defaultPort, extra), env, service);
}
