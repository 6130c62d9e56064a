#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

// Exit as soon as the output is flushed: the WASM parser's runtime keeps the event loop alive for a
// few hundred milliseconds after the work is done, which is a real share of a CI run on a few files.
function exit(code) {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, (error) => {
  process.stderr.write(`plumbline: internal error: ${error?.stack ?? error}\n`);
  exit(2);
});
