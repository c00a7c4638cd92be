/** A source of uniform numbers in [0, 1); seeded, so a simulation and its failures reproduce. */
export type Random = () => number;

/** mulberry32: tiny, fast, and good enough for simulated noise (not for secrets). */
export function seededRandom(seed: number): Random {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a text: a stable per-device seed from its id. */
export function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export function between(random: Random, min: number, max: number): number {
  return min + random() * (max - min);
}

/** `base` moved by up to ±`ratio` of itself, so devices started together drift apart. */
export function jittered(random: Random, base: number, ratio: number): number {
  return Math.max(0, base * (1 + (random() * 2 - 1) * ratio));
}
