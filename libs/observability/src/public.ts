import { SetMetadata } from '@nestjs/common';

/** Metadata key read by the auth guard; lives here so that probes need no dependency on auth. */
export const PUBLIC_ROUTE = 'fleet:public-route';

/**
 * Marks a controller or handler as reachable without credentials (probes, metrics). `@fleet/auth`
 * re-exports it; everything not marked is denied by default.
 */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(PUBLIC_ROUTE, true);
