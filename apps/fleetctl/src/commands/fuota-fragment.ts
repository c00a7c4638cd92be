import { readFile } from 'node:fs/promises';
import { type Command } from 'commander';
import { ValidationError } from '@fleet/core';
import {
  codedFragmentsFor,
  DATA_FRAGMENT_HEADER_BYTES,
  encodeBlock,
  fragmentationV1,
  fragmentLayout,
} from '@fleet/lorawan-fuota';
import { arg, usageError } from '../cli';
import { parseInteger } from '../parse';

/** Where the command writes, as the program's Io. */
interface Output {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

type Redundancy = { readonly codedFragments: number } | { readonly ratio: number };

interface FragmentOptions {
  readonly size: number;
  readonly redundancy: Redundancy;
  readonly dataFragment?: true | number;
}

/** `10` coded fragments, or `10%` of the uncoded ones. */
export function parseRedundancy(value: string): Redundancy {
  const text = value.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) return { ratio: Number(percent[1]) / 100 };
  if (!/^\d+$/.test(text))
    throw new Error(`"${value}" is neither a number of coded fragments (20) nor a percentage (10%)`);
  return { codedFragments: Number(text) };
}

/**
 * `fleetctl fuota fragment --size N --redundancy R FILE`: the TS004 fragments of a file, so that a
 * block can be checked against other implementations (the reference vectors of LoRaMac-node,
 * chirpstack's encoder...). Reads no API.
 */
export function registerFuotaCommands(
  program: Command,
  io: Output,
  readBytes: (path: string) => Promise<Uint8Array> = (path) => readFile(path),
): void {
  const fuota = program
    .command('fuota')
    .description('firmware updates over the air: LoRaWAN multicast tools (offline)');

  fuota
    .command('fragment')
    .description(
      'cut FILE into TS004 fragments with FragmentationMatrix 0 redundancy; prints the uncoded then the coded fragments, one per line in hex',
    )
    .argument('<file>', 'the data block, e.g. a firmware image')
    .requiredOption(
      '--size <bytes>',
      'fragment size in bytes (FragSize, 1-255)',
      arg((v) => parseInteger(v)),
    )
    .requiredOption(
      '--redundancy <count|percent>',
      'coded fragments: a count (20) or a share of the uncoded ones (10%)',
      arg(parseRedundancy),
    )
    .option(
      '--data-fragment [fragIndex]',
      'print whole DataFragment payloads as sent on FPort 201 (CID 08, IndexAndN, fragment); FragIndex 0-3, default 0',
      arg((v) => parseInteger(v, 0)),
    )
    .action(async (file: string, options: FragmentOptions, command: Command) => {
      let block: Uint8Array;
      try {
        block = await readBytes(file);
      } catch (error) {
        return usageError(
          command,
          `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const lines = fragmentLines(block, options, command, io);
      io.stdout(lines.length > 0 ? `${lines.join('\n')}\n` : '');
    });
}

function fragmentLines(block: Uint8Array, options: FragmentOptions, command: Command, io: Output): string[] {
  try {
    const uncoded = fragmentLayout(block.length, options.size).uncodedFragments;
    const coded =
      'ratio' in options.redundancy
        ? codedFragmentsFor(uncoded, options.redundancy.ratio)
        : options.redundancy.codedFragments;
    const encoded = encodeBlock(block, options.size, coded);
    const fragIndex = options.dataFragment === true ? 0 : options.dataFragment;
    if (fragIndex !== undefined && fragIndex > 3)
      usageError(command, `--data-fragment: FragIndex ${fragIndex} is not 0-3`);
    const framing =
      fragIndex === undefined
        ? ''
        : `, each behind the ${DATA_FRAGMENT_HEADER_BYTES}-byte DataFragment header`;
    // On stderr, so that stdout holds the fragments alone and compares line for line.
    io.stderr(
      `fleetctl: ${encoded.uncodedFragments} uncoded + ${coded} coded fragments of ${options.size} bytes${framing}; ` +
        `FragSessionSetupReq NbFrag ${encoded.uncodedFragments}, FragSize ${options.size}, Padding ${encoded.padding}\n`,
    );
    return encoded.fragments.map((fragment, i) => {
      const bytes =
        fragIndex === undefined
          ? fragment
          : fragmentationV1.encodeDownlink([
              { type: 'DataFragment', fragIndex, n: i + 1, payload: fragment },
            ]);
      return Buffer.from(bytes).toString('hex');
    });
  } catch (error) {
    if (error instanceof ValidationError) return usageError(command, error.message);
    throw error;
  }
}
