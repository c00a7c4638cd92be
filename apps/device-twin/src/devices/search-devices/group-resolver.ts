/** What search needs to know of a saved group to resolve `?group=<name>`. */
export interface GroupSelector {
  readonly name: string;
  readonly kind: 'static' | 'dynamic';
  /** Static groups: members are the devices carrying this tag. */
  readonly tag: string | null;
  /** Dynamic groups: the saved search filter. */
  readonly query: Readonly<Record<string, unknown>> | null;
}

/** Looks saved groups up by name (the groups projection implements it). */
export interface GroupResolver {
  /** The group, or undefined when it does not exist (or was deleted). */
  findGroup(name: string): Promise<GroupSelector | undefined>;
}

export const GROUP_RESOLVER = Symbol('GROUP_RESOLVER');
