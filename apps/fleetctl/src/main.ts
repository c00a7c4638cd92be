#!/usr/bin/env node
/**
 * fleetctl: support staff's view of the device-twin API. See docs/fleetctl.md.
 *
 *   npm run fleetctl -- device show meter-42
 */
import { run } from './program';

// `fleetctl ... | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

void run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then((code) => {
  // exitCode rather than exit(): lets a large --json answer drain into a pipe first.
  process.exitCode = code;
});
