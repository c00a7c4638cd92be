import type { Type } from 'avsc';

/**
 * Why data written with `writer` cannot be read with `reader`, or undefined when it can
 * (Avro schema resolution, as avsc implements it).
 */
export function resolutionProblem(reader: Type, writer: Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Problems of a new version against one earlier version: backward (new readers read old data)
 * and forward (old readers read new data). Empty when fully compatible.
 */
export function compatibilityProblems(newer: Type, older: Type): string[] {
  const problems: string[] = [];
  const backward = resolutionProblem(newer, older);
  if (backward) problems.push(`backward: ${backward}`);
  const forward = resolutionProblem(older, newer);
  if (forward) problems.push(`forward: ${forward}`);
  return problems;
}
