import {
  assertNever,
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '@fleet/core';

/**
 * Device groups: saved selections of devices that operators target (bulk configuration,
 * campaigns, dashboards). A static group is a tag (members are the devices carrying it); a dynamic
 * group is a saved search filter. Defining, redefining and deleting a group are audited operator
 * changes, so each group is an event stream `group-<name>`.
 */

export type GroupKind = 'static' | 'dynamic';

export interface GroupDefinition {
  readonly name: string;
  readonly kind: GroupKind;
  /** Static groups only: the tag that makes a device a member. */
  readonly tag: string | null;
  /** Dynamic groups only: the search filter (validated at the edge with the search schema). */
  readonly query: Readonly<Record<string, unknown>> | null;
  readonly description: string;
}

export type GroupEvent =
  | { readonly type: 'GroupDefined'; readonly data: GroupDefinition }
  | { readonly type: 'GroupRedefined'; readonly data: GroupDefinition }
  | { readonly type: 'GroupDeleted'; readonly data: { readonly name: string } };

export type GroupState =
  | { readonly status: 'undefined'; readonly version: number }
  | { readonly status: 'deleted'; readonly version: number }
  | ({ readonly status: 'defined'; readonly version: number } & GroupDefinition);

export const initialGroupState: GroupState = { status: 'undefined', version: 0 };

type WithExpectedVersion = {
  /** Group version the operator saw (`If-Match`); the command fails with 412 if it moved on. */
  readonly expectedVersion?: number | undefined;
};

export type GroupCommand =
  | { readonly type: 'DefineGroup'; readonly definition: GroupDefinition }
  | ({ readonly type: 'RedefineGroup'; readonly definition: GroupDefinition } & WithExpectedVersion)
  | ({ readonly type: 'DeleteGroup'; readonly name: string } & WithExpectedVersion);

/** Lower-case letters, digits and `-`, 1 to 64 characters. */
export const GROUP_NAME = /^[a-z0-9-]{1,64}$/;

export const groupStream = (name: string): string => `group-${name}`;

export function assertGroupName(name: string): void {
  if (!GROUP_NAME.test(name)) {
    throw new ValidationError(
      `name: a group name is 1 to 64 lower-case letters, digits or -, got "${name}"`,
      {
        issues: [{ path: 'name', message: 'lower-case letters, digits and -, 1 to 64 characters' }],
      },
    );
  }
}

/** A static group has a tag and no query; a dynamic group a non-empty query and no tag. */
export function assertDefinition(definition: GroupDefinition): void {
  assertGroupName(definition.name);
  if (definition.kind === 'static') {
    if (definition.tag === null || definition.tag.trim() === '' || definition.query !== null) {
      throw new ValidationError('a static group has a tag and no query', {
        issues: [{ path: 'tag', message: 'a static group has a tag and no query' }],
      });
    }
  } else if (definition.kind === 'dynamic') {
    if (definition.query === null || Object.keys(definition.query).length === 0 || definition.tag !== null) {
      throw new ValidationError('a dynamic group has a non-empty query and no tag', {
        issues: [{ path: 'query', message: 'a dynamic group has a non-empty query and no tag' }],
      });
    }
  } else {
    assertNever(definition.kind);
  }
}

/** Decides which facts a group command produces; pure. */
export function decideGroup(command: GroupCommand, state: GroupState): GroupEvent[] {
  switch (command.type) {
    case 'DefineGroup': {
      assertDefinition(command.definition);
      if (state.status === 'defined') {
        throw new ConflictError(`group ${command.definition.name} already exists`, {
          group: command.definition.name,
        });
      }
      return [{ type: 'GroupDefined', data: command.definition }];
    }
    case 'RedefineGroup': {
      assertDefinition(command.definition);
      const current = defined(state, command.definition.name);
      checkVersion(current, command.definition.name, command.expectedVersion);
      if (sameDefinition(current, command.definition)) return [];
      return [{ type: 'GroupRedefined', data: command.definition }];
    }
    case 'DeleteGroup': {
      const current = defined(state, command.name);
      checkVersion(current, command.name, command.expectedVersion);
      return [{ type: 'GroupDeleted', data: { name: command.name } }];
    }
    default:
      return assertNever(command);
  }
}

export function evolveGroup(state: GroupState, event: GroupEvent): GroupState {
  const version = state.version + 1;
  switch (event.type) {
    case 'GroupDefined':
    case 'GroupRedefined':
      return { status: 'defined', version, ...definitionOf(event.data) };
    case 'GroupDeleted':
      return { status: 'deleted', version };
    default:
      return assertNever(event);
  }
}

export const groupDecider = { decide: decideGroup, evolve: evolveGroup, initialState: initialGroupState };

function definitionOf(data: GroupDefinition): GroupDefinition {
  return {
    name: data.name,
    kind: data.kind,
    tag: data.tag ?? null,
    query: data.query ?? null,
    description: data.description ?? '',
  };
}

function defined(state: GroupState, name: string): Extract<GroupState, { status: 'defined' }> {
  if (state.status !== 'defined') throw new NotFoundError(`group ${name} not found`, { group: name });
  return state;
}

function checkVersion(state: GroupState, name: string, expected: number | undefined): void {
  if (expected !== undefined && expected !== state.version) {
    throw new PreconditionFailedError(
      `group ${name} is at version ${state.version}, not ${expected}; read it again and retry`,
      { group: name, version: state.version, expectedVersion: expected },
    );
  }
}

function sameDefinition(a: GroupDefinition, b: GroupDefinition): boolean {
  return (
    a.kind === b.kind &&
    a.tag === b.tag &&
    a.description === b.description &&
    canonicalJson(a.query) === canonicalJson(b.query)
  );
}

/** JSON with object keys sorted, so that equal queries compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
