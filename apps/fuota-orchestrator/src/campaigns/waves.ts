import { ValidationError } from '@fleet/core';
import type { Rollout } from './campaign-events';

/**
 * Wave sizes for `targets` devices: a canary wave (count or percent, at least one device), then
 * the rest in `waveCount` equal waves or in an exponential ramp (base, base·f, base·f²...), the
 * last wave taking what is left. Sizes sum to `targets`; no wave is empty.
 */
export function planWaves(targets: number, rollout: Rollout): number[] {
  if (targets === 0) return [];
  const canary = canarySize(targets, rollout);
  const rest = targets - canary;
  const sizes = canary > 0 ? [canary] : [];
  if (rest === 0) return sizes;
  if (rollout.baseWaveSize !== null) {
    const factor = rollout.growthFactor ?? 1;
    let left = rest;
    for (let size = rollout.baseWaveSize; left > 0; size *= factor) {
      const wave = Math.min(left, Math.max(1, Math.round(size)));
      sizes.push(wave);
      left -= wave;
    }
    return sizes;
  }
  const waves = Math.min(rest, Math.max(1, (rollout.waveCount ?? 1) - (canary > 0 ? 1 : 0)));
  for (let i = 0; i < waves; i++) {
    sizes.push(Math.floor(rest / waves) + (i < rest % waves ? 1 : 0));
  }
  return sizes;
}

function canarySize(targets: number, rollout: Rollout): number {
  if (rollout.canaryCount !== null) return Math.min(targets, rollout.canaryCount);
  if (rollout.canaryPercent !== null) {
    return Math.min(targets, Math.max(1, Math.round((targets * rollout.canaryPercent) / 100)));
  }
  return 0;
}

/** The rollout's own rules, before any device is known. */
export function checkRollout(rollout: Rollout): void {
  if (rollout.canaryCount !== null && rollout.canaryPercent !== null) {
    throw new ValidationError('rollout: give canaryCount or canaryPercent, not both');
  }
  if (rollout.waveCount !== null && rollout.baseWaveSize !== null) {
    throw new ValidationError('rollout: give waveCount (equal waves) or baseWaveSize (a ramp), not both');
  }
  if (rollout.growthFactor !== null && rollout.baseWaveSize === null) {
    throw new ValidationError('rollout: growthFactor needs baseWaveSize');
  }
}

/** Assigns each device its wave, in the order given (callers sort, so the plan is reproducible). */
export function assignWaves(deviceIds: readonly string[], sizes: readonly number[]): number[] {
  const waves: number[] = [];
  sizes.forEach((size, wave) => {
    for (let i = 0; i < size; i++) waves.push(wave);
  });
  return deviceIds.map((_, i) => waves[i] ?? Math.max(0, sizes.length - 1));
}
