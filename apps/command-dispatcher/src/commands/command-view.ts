import type { RequestedCommand } from './command';

/** A command as the HTTP API shows it. */
export interface CommandView {
  readonly commandId: string;
  readonly deviceId: string;
  readonly status: RequestedCommand['status'];
  readonly operation: string;
  readonly path: string;
  readonly value: RequestedCommand['request']['value'];
  readonly arguments: string | null;
  readonly attributes: RequestedCommand['request']['attributes'];
  readonly origin: string;
  readonly jobId: string | null;
  readonly configurationKey: string | null;
  readonly delivery: RequestedCommand['delivery'];
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly expiresAt: string;
  readonly retryAt: string | null;
  /** The device's answer: response code and values (read results), or why it failed, expired or was refused. */
  readonly result: {
    readonly code: string | null;
    readonly values: readonly { path: string; value: string | number | boolean; time: string | null }[];
    readonly reason: string | null;
    readonly gate: string | null;
  } | null;
  readonly version: number;
  readonly updatedAt?: string;
}

export function commandView(state: RequestedCommand, updatedAt?: string): CommandView {
  const { request } = state;
  return {
    commandId: request.commandId,
    deviceId: request.deviceId,
    status: state.status,
    operation: request.operation,
    path: request.path,
    value: request.value,
    arguments: request.arguments,
    attributes: request.attributes,
    origin: request.origin,
    jobId: request.jobId,
    configurationKey: request.configurationKey,
    delivery: state.delivery,
    attempts: state.attempt,
    maxAttempts: request.maxAttempts,
    expiresAt: request.expiresAt,
    retryAt: state.status === 'queued' ? state.notBefore : null,
    result: state.outcome,
    version: state.version,
    ...(updatedAt !== undefined && { updatedAt }),
  };
}
