/** Who caused a change: an operator (JWT subject), a device, or one of our services. */
export interface Actor {
  readonly type: 'operator' | 'device' | 'service';
  readonly id: string;
}

/**
 * What every event records besides its payload, so that support staff can answer
 * "who changed what, when and why" and trace a change across services.
 */
export interface EventMetadata {
  readonly actor: Actor;
  readonly reason: string | null;
  /** ISO-8601 instant at which the command was decided. */
  readonly occurredAt: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly tenant: string;
}

/** Command metadata: time and ids come in from the edge so the domain stays pure. */
export interface CommandMetadata extends EventMetadata {
  /** Id of the command itself; becomes the causation id of the events it produces. */
  readonly commandId: string;
}

/** A domain event as the domain sees it: a discriminated union member. */
export interface DomainEvent<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly data: TData;
}

export const DEFAULT_TENANT = 'default';
