/** Operator roles, most to least privileged. Tokens carry them in the `roles` claim. */
export const ROLES = ['admin', 'operator', 'support', 'viewer'] as const;

/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** Narrows an arbitrary string (a claim, a CLI flag) to a {@link Role}. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * The roles granted by a token's claims: the `roles` array and/or a single `role` string.
 * Unknown entries (an identity provider's own roles) are ignored rather than rejected.
 */
export function rolesFromClaims(claims: Readonly<Record<string, unknown>>): Role[] {
  const granted = new Set<Role>();
  const { roles, role } = claims;
  if (Array.isArray(roles)) for (const entry of roles) if (isRole(entry)) granted.add(entry);
  if (isRole(role)) granted.add(role);
  return [...granted];
}
