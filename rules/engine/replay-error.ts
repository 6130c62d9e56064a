import { defineRule } from '../../src/core/rule.js';

/** Reported by replay (`plumbline check --replay`, src/replay/run.ts), never by the static pass. */
export default defineRule({
  id: 'replay-error',
  family: 'engine',
  meta: {
    description: 'A statement that PostgreSQL rejects when the migrations are replayed in order (`check --replay`).',
    rationale:
      'A migration that does not apply stops the deploy at that statement: everything before it in the file has run (or the framework rolls the file back), and every later migration waits until someone repairs the database by hand.',
    remedy:
      'Fix the statement, or the earlier migration it depends on, using the message PostgreSQL gave; then replay again with `plumbline check --replay`.',
    severity: 'error',
    precision: 'high',
    tags: ['correctness', 'replay'],
    recommended: true,
    sources: {},
  },
});
