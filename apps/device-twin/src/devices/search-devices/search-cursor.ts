/**
 * Keyset cursors: where a page ended, as the last row's sort value and device id. Opaque to
 * clients (base64url of a small JSON document); bound to the sort and order it was made for.
 */

/** The last row of a page: its sort value (as PostgreSQL prints it; null when it has none) and id. */
export interface CursorPosition {
  readonly value: string | null;
  readonly deviceId: string;
}

interface CursorDocument {
  /** Sort field. */
  readonly s: string;
  /** Order. */
  readonly o: string;
  /** Sort value of the last row, null when it has none (nulls come last). */
  readonly v: string | null;
  /** Device id of the last row: the tie-breaker. */
  readonly id: string;
}

export function encodeCursor(sort: string, order: string, position: CursorPosition): string {
  const document: CursorDocument = { s: sort, o: order, v: position.value, id: position.deviceId };
  return Buffer.from(JSON.stringify(document), 'utf8').toString('base64url');
}

/** The position a cursor names, or a message saying why it cannot be used with this sort and order. */
export function decodeCursor(cursor: string, sort: string, order: string): CursorPosition | string {
  let document: Partial<CursorDocument>;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    document = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorDocument>;
  } catch {
    return 'not a cursor this API issued; pass the nextCursor of the previous page unchanged';
  }
  if (
    typeof document !== 'object' ||
    document === null ||
    typeof document.id !== 'string' ||
    (document.v !== null && typeof document.v !== 'string')
  ) {
    return 'not a cursor this API issued; pass the nextCursor of the previous page unchanged';
  }
  if (document.s !== sort || document.o !== order) {
    return `the cursor belongs to sort=${String(document.s)}&order=${String(document.o)}; keep the sort and order of the first page`;
  }
  return { value: document.v, deviceId: document.id };
}
