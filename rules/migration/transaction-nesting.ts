import { defineRule } from '../../src/core/rule.js';
import type { SqlStatement } from '../../src/sql/parse.js';
import { transactionCause } from '../../src/rules/helpers.js';

const OPENS = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START']);
const ENDS = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE']);

/** How the statement is written, for messages: `BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK`… */
function written(stmt: SqlStatement): string {
  const words = stmt.tokens.slice(0, 2).map((t) => t.text.toUpperCase());
  if (words[0] === 'START' || words[0] === 'PREPARE') return words.join(' ');
  return words[0] ?? 'BEGIN';
}

export default defineRule({
  id: 'transaction-nesting',
  family: 'migration',
  directions: ['up', 'down'],
  meta: {
    description:
      '`BEGIN` while a transaction is already open, `COMMIT`/`ROLLBACK` with none open, and any of them in a migration the framework already runs in a transaction.',
    rationale:
      'PostgreSQL has no nested transactions: an inner `BEGIN` is ignored with a warning, so the first `COMMIT` ends the outer transaction (or the framework’s) early and the statements after it run one by one, outside any transaction. A failure among them leaves the migration half applied.',
    remedy: 'Keep one transaction per migration: drop the inner `BEGIN`/`COMMIT`, or, when the framework wraps the migration, all of them.',
    severity: 'error',
    precision: 'very-high',
    tags: ['transactions', 'correctness'],
    recommended: true,
    sources: {
      squawk: 'transaction-nesting',
    },
  },
  create(ctx) {
    // After a nested BEGIN, the outer transaction ends at the first COMMIT: the last COMMIT then finds
    // no transaction. That COMMIT is part of the same mistake, already reported at the nested BEGIN.
    let nestedBegin = false;
    // The last statement that ended a transaction, for a second COMMIT right after it.
    let lastEnd: SqlStatement | undefined;
    // In a framework-wrapped migration, once a COMMIT/ROLLBACK has ended the framework's transaction the
    // later BEGIN/COMMIT statements are part of the same mistake: the first two findings say it all.
    let frameworkEnded = false;
    return {
      TransactionStmt(stmt) {
        if (stmt.viaDo) return;
        const kind: string = stmt.node.kind;
        const opens = OPENS.has(kind);
        const ends = ENDS.has(kind);
        if (!opens && !ends) return;
        const tx = ctx.state.transaction;
        const word = written(stmt);

        if (ctx.script.wrappedInTransaction) {
          if (frameworkEnded) return;
          if (ends) frameworkEnded = true;
          const cause = transactionCause(ctx) || ctx.script.transactionReason;
          ctx.report({
            stmt,
            message: opens
              ? `\`${word}\` in a migration that already runs in a transaction (${cause}).`
              : `\`${word}\` ends the transaction the framework opened for this migration (${cause}) before the migration is finished.`,
            why: opens
              ? `PostgreSQL ignores it ("there is already a transaction in progress"), so the \`COMMIT\` meant to close it commits the framework's transaction instead: the statements after that \`COMMIT\` run one by one outside any transaction, and the framework's own \`COMMIT\` only warns ("there is no transaction in progress"). A failure after that point leaves the migration half applied.`
              : kind === 'TRANS_STMT_ROLLBACK'
                ? 'Everything before it is undone, yet the framework carries on: the statements after it run one by one outside any transaction, and the framework can still record the migration as applied.'
                : 'The statements after it run one by one outside any transaction, so a failure among them leaves the migration half applied, and the framework’s own `COMMIT` only warns ("there is no transaction in progress").',
            remedy:
              'Remove the `BEGIN`/`COMMIT` statements and let the framework’s transaction cover the whole migration. A statement that must run outside a transaction (such as `CREATE INDEX CONCURRENTLY`) belongs in its own migration that opts out of the framework’s transaction.',
            properties: { statement: word, byFramework: true },
          });
          return;
        }

        if (opens && tx.active) {
          nestedBegin = true;
          ctx.report({
            stmt,
            message: `\`${word}\` while the transaction opened by an earlier \`BEGIN\` is still open.`,
            why: 'PostgreSQL has no nested transactions: it ignores this one ("there is already a transaction in progress"). The next `COMMIT` therefore commits the outer transaction, the statements after it run one by one outside any transaction, and the last `COMMIT` only warns ("there is no transaction in progress"). A failure after the first `COMMIT` leaves the migration half applied.',
            remedy: `Remove this \`${word}\` and the \`COMMIT\` that was meant to close it, so that one transaction covers the migration.`,
            related: tx.begin ? [{ range: tx.begin.range, message: 'The transaction that is still open was started here.' }] : undefined,
            properties: { statement: word, byFramework: false },
          });
          return;
        }

        if (ends && tx.active) {
          lastEnd = stmt;
          return;
        }

        if (ends && !tx.active) {
          if (nestedBegin) {
            nestedBegin = false;
            lastEnd = stmt;
            return;
          }
          if (lastEnd) {
            const previous = lastEnd;
            lastEnd = stmt;
            ctx.report({
              stmt,
              message: `\`${word}\` with no transaction open: the \`${written(previous)}\` before it already ended the transaction.`,
              why: 'PostgreSQL only warns ("there is no transaction in progress") and does nothing. A duplicated `COMMIT` usually means the file lost a `BEGIN` or was assembled from pieces: the statements between the two were not in the transaction their author meant them to be in.',
              remedy: `Remove this \`${word}\`, or add the \`BEGIN;\` that should open a transaction for the statements before it.`,
              related: [{ range: previous.range, message: 'The transaction was already ended here.' }],
              properties: { statement: word, byFramework: false },
            });
            return;
          }
          lastEnd = stmt;
          ctx.report({
            stmt,
            message: `\`${word}\` with no transaction open: the file never started one.`,
            why: 'PostgreSQL only warns ("there is no transaction in progress"). The statements before it were not one transaction, as this statement suggests: each committed on its own, so a failure in the middle leaves the migration half applied.',
            remedy: `Add the missing \`BEGIN;\` where the transaction should start, or remove this \`${word}\` if the migration must run outside a transaction.`,
            properties: { statement: word, byFramework: false },
          });
        }
      },
    };
  },
});
