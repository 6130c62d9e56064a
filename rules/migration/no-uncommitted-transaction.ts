import type { Fix } from '../../src/core/finding.js';
import { defineRule } from '../../src/core/rule.js';

export default defineRule({
  id: 'no-uncommitted-transaction',
  family: 'migration',
  directions: ['up', 'down'],
  meta: {
    description: '`BEGIN` with no `COMMIT` or `ROLLBACK` before the end of the migration.',
    rationale:
      'When the script ends with its transaction still open, the runner either disconnects, and PostgreSQL rolls back everything the migration did, or reuses the connection, and the next migration runs inside the open transaction while every lock taken so far stays held.',
    remedy: 'End the transaction with `COMMIT;` after the last statement.',
    severity: 'error',
    precision: 'very-high',
    tags: ['transactions', 'correctness'],
    recommended: true,
    fixable: 'unsafe',
    sources: {
      squawk: 'ban-uncommitted-transaction',
      pgfence: 'unclosed-transaction',
    },
  },
  create(ctx) {
    return {
      'Migration:exit'() {
        const tx = ctx.state.transaction;
        // A framework that wraps the migration commits whatever is open at the end.
        if (ctx.script.wrappedInTransaction || !tx.active || tx.byFramework || !tx.begin) return;
        const begin = tx.begin;
        const word = begin.tokens[0]?.text.toUpperCase() === 'START' ? 'START TRANSACTION' : 'BEGIN';
        ctx.report({
          stmt: begin,
          message: `\`${word}\` opens a transaction that the migration never commits or rolls back.`,
          why: 'At the end of the script the transaction is still open. A runner that disconnects (psql, most CLIs) makes PostgreSQL roll back everything the migration did, often after the migration was recorded as applied; a runner that reuses the connection runs the next migration inside this transaction, holding every lock taken so far.',
          remedy: 'Add `COMMIT;` after the last statement of the migration (or `ROLLBACK;` if it is a dry run on purpose).',
          fix: commitFix(ctx.script.file.text, ctx.script.sections, ctx.state.statements),
          properties: { statement: word },
        });
      },
    };
  },
});

/** Appends `COMMIT;` at the end of the script, after a `;` when the last statement has none. */
function commitFix(text: string, sections: Array<{ start: number; end: number }>, statements: Array<{ range: { end: number }; viaDo?: unknown }>): Fix | undefined {
  const section = sections[sections.length - 1];
  const last = [...statements].reverse().find((s) => !s.viaDo);
  if (!section || !last) return undefined;
  const terminated = /^\s*;/.test(text.slice(last.range.end, section.end));
  const atLineStart = section.end === 0 || text[section.end - 1] === '\n';
  return {
    description: 'Add `COMMIT;` at the end of the migration',
    safe: false,
    edits: [{ range: { start: section.end, end: section.end }, text: `${atLineStart ? '' : '\n'}${terminated ? '' : ';\n'}COMMIT;\n` }],
  };
}
