#!/usr/bin/env node
import v8 from 'node:v8';

// The SQL parser is WASM. A CLI run is short: compiling it with the baseline compiler only (no
// background optimising tier-up) measured faster end to end, on a few files and on thousands.
v8.setFlagsFromString('--liftoff-only');
const { main } = await import('../dist/src/cli/main.js');

// Exit as soon as the output is flushed: the WASM parser's runtime keeps the event loop alive for a
// few hundred milliseconds after the work is done, which is a real share of a CI run on a few files.
function exit(code) {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, (error) => {
  process.stderr.write(`plumbline: internal error: ${error?.stack ?? error}\n`);
  exit(2);
});
