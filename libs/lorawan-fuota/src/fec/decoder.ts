import { IllegalStateError, ValidationError } from '@fleet/core';
import { MAX_FRAGMENTS_PER_SESSION, type FragmentLayout } from './encoder';
import { parityRow } from './matrix';
import { slotBytes, wordsFor, writeSlot, xorWords } from './words';

export interface DecoderOptions {
  /**
   * Most coded fragments held unsolved at once (the spec's decoder sizes its matrix the same way,
   * FRAG_MAX_REDUNDANCY); past it a fragment is dropped and `notEnoughMemory` set, as a device
   * reports in FragSessionStatusAns. Default: the number of uncoded fragments (no limit in effect).
   */
  readonly maxPendingEquations?: number;
}

export interface DecoderStatus {
  /** M, the uncoded fragments of the block. */
  readonly uncodedFragments: number;
  /** Distinct fragments taken before completion, useful or not (duplicates not counted). */
  readonly received: number;
  /** Uncoded fragments known, received or recovered. */
  readonly known: number;
  /** Coded fragments held as independent equations over the unknown fragments, not solved yet. */
  readonly pendingEquations: number;
  /** Further independent fragments needed to finish: M − known − pending (FragSessionStatusAns MissingFrag). */
  readonly missing: number;
  readonly done: boolean;
  /** A coded fragment was dropped because `maxPendingEquations` were held. */
  readonly notEnoughMemory: boolean;
}

export type PushOutcome = 'stored' | 'recovered' | 'duplicate' | 'redundant' | 'dropped' | 'after-done';

interface Equation {
  /** Bit c set: unknown uncoded fragment c takes part. Only unknown fragments ever appear. */
  readonly coefficients: Uint32Array;
  readonly payload: Uint32Array;
}

/**
 * Incremental TS004 decoder: Gaussian elimination over GF(2), kept in reduced row echelon form as
 * fragments arrive in any order, with any losses. Uncoded fragments land in the block directly;
 * a coded fragment is reduced by the known fragments and the pending equations, and becomes a new
 * equation over the still unknown ones; an equation left with one unknown recovers that fragment.
 * Memory: the block plus, per pending equation, M bits and one fragment.
 */
export class FragmentDecoder {
  private readonly m: number;
  private readonly fragmentBytes: number;
  private readonly padding: number;
  private readonly words: number;
  private readonly bitWords: number;
  private readonly maxPending: number;
  private readonly store: Uint32Array;
  private readonly isKnown: Uint8Array;
  /** Column → the equation whose pivot (lowest unknown) it is. */
  private readonly pivots = new Map<number, Equation>();
  private readonly codedSeen = new Set<number>();
  private knownCount = 0;
  private receivedCount = 0;
  private memoryExceeded = false;

  constructor(
    layout: Pick<FragmentLayout, 'uncodedFragments' | 'fragmentBytes'> & { padding?: number },
    options: DecoderOptions = {},
  ) {
    const { uncodedFragments: m, fragmentBytes, padding = 0 } = layout;
    if (!Number.isInteger(m) || m < 1 || m > MAX_FRAGMENTS_PER_SESSION)
      throw new ValidationError(`${m} uncoded fragments: a session has 1-${MAX_FRAGMENTS_PER_SESSION}`);
    if (!Number.isInteger(fragmentBytes) || fragmentBytes < 1 || fragmentBytes > 255)
      throw new ValidationError(`fragment size ${fragmentBytes} is not 1-255 bytes`);
    if (!Number.isInteger(padding) || padding < 0 || padding >= fragmentBytes * m)
      throw new ValidationError(`padding ${padding} does not fit a block of ${m} × ${fragmentBytes} bytes`);
    this.m = m;
    this.fragmentBytes = fragmentBytes;
    this.padding = padding;
    this.words = wordsFor(fragmentBytes);
    this.bitWords = (m + 31) >>> 5;
    this.maxPending = options.maxPendingEquations ?? m;
    this.store = new Uint32Array(m * this.words);
    this.isKnown = new Uint8Array(m);
  }

  /** Takes DataFragment number `n` (1-based; n > M is a coded fragment) and its payload. */
  push(n: number, payload: Uint8Array): PushOutcome {
    if (!Number.isInteger(n) || n < 1 || n > MAX_FRAGMENTS_PER_SESSION)
      throw new ValidationError(`fragment number ${n} is not 1-${MAX_FRAGMENTS_PER_SESSION}`);
    if (payload.length !== this.fragmentBytes)
      throw new ValidationError(
        `fragment ${n} has ${payload.length} bytes, the session's fragments have ${this.fragmentBytes}`,
      );
    if (this.knownCount === this.m) return 'after-done';
    if (n > this.m) {
      if (this.codedSeen.has(n)) return 'duplicate';
      this.codedSeen.add(n);
    }
    const outcome = n <= this.m ? this.pushUncoded(n - 1, payload) : this.pushCoded(n - this.m, payload);
    if (outcome !== 'duplicate') this.receivedCount += 1;
    return outcome;
  }

  status(): DecoderStatus {
    const pendingEquations = this.pivots.size;
    return {
      uncodedFragments: this.m,
      received: this.receivedCount,
      known: this.knownCount,
      pendingEquations,
      missing: this.m - this.knownCount - pendingEquations,
      done: this.knownCount === this.m,
      notEnoughMemory: this.memoryExceeded,
    };
  }

  /** The reconstructed block, padding removed. */
  block(): Uint8Array {
    if (this.knownCount !== this.m)
      throw new IllegalStateError(`the block is incomplete: ${this.status().missing} more fragments needed`);
    const out = new Uint8Array(this.m * this.fragmentBytes - this.padding);
    for (let j = 0; j < this.m; j += 1) {
      const bytes = slotBytes(this.store, j, this.words, this.fragmentBytes);
      const start = j * this.fragmentBytes;
      out.set(
        start + this.fragmentBytes <= out.length ? bytes : bytes.subarray(0, out.length - start),
        start,
      );
    }
    return out;
  }

  private pushUncoded(j: number, payload: Uint8Array): PushOutcome {
    if (this.isKnown[j] === 1) return 'duplicate';
    writeSlot(this.store, j, this.words, payload);
    this.markKnown(j);
    const pivotOwner = this.pivots.get(j);
    if (pivotOwner) {
      // Its pivot is now known: what is left is an equation over other unknowns, none a pivot.
      this.pivots.delete(j);
      this.substituteKnown(pivotOwner, j);
      this.addReduced(pivotOwner);
    } else {
      for (const equation of [...this.pivots.values()]) {
        if (hasBit(equation.coefficients, j)) {
          this.substituteKnown(equation, j);
          this.solveIfSingle(equation);
        }
      }
    }
    return 'stored';
  }

  private pushCoded(rank: number, payload: Uint8Array): PushOutcome {
    const row = parityRow(rank, this.m);
    const equation: Equation = {
      coefficients: new Uint32Array(this.bitWords),
      payload: new Uint32Array(this.words),
    };
    new Uint8Array(equation.payload.buffer, 0, payload.length).set(payload);
    const { store, words, isKnown } = this;
    const target = equation.payload;
    for (let j = 0; j < this.m; j += 1) {
      if (row[j] !== 1) continue;
      if (isKnown[j] === 1) {
        // The hot loop of decoding (about 0.39·M known fragments per coded one): inlined.
        const source = j * words;
        for (let w = 0; w < words; w += 1) target[w]! ^= store[source + w]!;
      } else equation.coefficients[j >>> 5]! |= 1 << (j & 31);
    }
    // Pending equations never share pivots, so XORing each one whose pivot is here clears them all.
    for (const column of setBits(equation.coefficients)) {
      const owner = this.pivots.get(column);
      if (owner) this.xorEquation(equation, owner);
    }
    if (isZero(equation.coefficients)) return 'redundant';
    if (this.pivots.size >= this.maxPending) {
      this.memoryExceeded = true;
      return 'dropped';
    }
    const before = this.knownCount;
    this.addReduced(equation);
    return this.knownCount > before ? 'recovered' : 'stored';
  }

  /** Adds an equation free of pivot columns and known fragments; keeps the form reduced. */
  private addReduced(equation: Equation): void {
    const pivot = lowestBit(equation.coefficients);
    if (pivot < 0) return;
    for (const other of [...this.pivots.values()]) {
      if (hasBit(other.coefficients, pivot)) {
        this.xorEquation(other, equation);
        this.solveIfSingle(other);
      }
    }
    this.pivots.set(pivot, equation);
    this.solveIfSingle(equation);
  }

  /** An equation with one unknown left is that fragment. */
  private solveIfSingle(equation: Equation): void {
    const column = singleBit(equation.coefficients);
    if (column < 0 || this.pivots.get(column) !== equation) return;
    this.pivots.delete(column);
    this.store.set(equation.payload, column * this.words);
    this.markKnown(column);
  }

  private substituteKnown(equation: Equation, column: number): void {
    equation.coefficients[column >>> 5]! &= ~(1 << (column & 31));
    xorWords(equation.payload, 0, this.store, column * this.words, this.words);
  }

  private xorEquation(target: Equation, source: Equation): void {
    xorWords(target.coefficients, 0, source.coefficients, 0, this.bitWords);
    xorWords(target.payload, 0, source.payload, 0, this.words);
  }

  private markKnown(column: number): void {
    this.isKnown[column] = 1;
    this.knownCount += 1;
  }
}

function hasBit(bits: Uint32Array, column: number): boolean {
  return ((bits[column >>> 5]! >>> (column & 31)) & 1) === 1;
}

function isZero(bits: Uint32Array): boolean {
  for (const word of bits) if (word !== 0) return false;
  return true;
}

function lowestBit(bits: Uint32Array): number {
  for (let w = 0; w < bits.length; w += 1) {
    const word = bits[w]!;
    if (word !== 0) return (w << 5) + (31 - Math.clz32(word & -word));
  }
  return -1;
}

/** The only set bit, or −1 when none or several are set. */
function singleBit(bits: Uint32Array): number {
  let found = -1;
  for (let w = 0; w < bits.length; w += 1) {
    const word = bits[w]!;
    if (word === 0) continue;
    if (found >= 0 || (word & (word - 1)) !== 0) return -1;
    found = (w << 5) + (31 - Math.clz32(word & -word));
  }
  return found;
}

function setBits(bits: Uint32Array): number[] {
  const columns: number[] = [];
  for (let w = 0; w < bits.length; w += 1) {
    let word = bits[w]!;
    while (word !== 0) {
      const low = word & -word;
      columns.push((w << 5) + (31 - Math.clz32(low)));
      word ^= low;
    }
  }
  return columns;
}
