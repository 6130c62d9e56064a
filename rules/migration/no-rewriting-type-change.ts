import { defineRule } from '../../src/core/rule.js';
import { lockForCommand, lockSentence } from '../../src/locks/lock-table.js';
import { alterCommands, formatType } from '../../src/sql/ast.js';
import { displayRelation, quoteIdent, liveTableAltered } from '../../src/rules/helpers.js';
import { columnNameRange, timeZoneSetting, typeChange } from './table-work.js';

interface Options {
  assumeUtc: boolean;
}

export default defineRule<Options>({
  id: 'no-rewriting-type-change',
  family: 'migration',
  meta: {
    description: '`ALTER COLUMN … TYPE` on an existing table that rewrites the table or rebuilds its indexes.',
    rationale:
      'Unless the old values can be kept byte for byte, PostgreSQL converts every row and rebuilds every index of the table under an ACCESS EXCLUSIVE lock: no reads, no writes until it finishes.',
    remedy:
      'Use a change PostgreSQL does in the catalog only (e.g. widen varchar or numeric precision), or expand and contract: add a new column, sync and backfill it in batches, switch readers, drop the old one.',
    severity: 'error',
    precision: 'high',
    tags: ['locks', 'availability', 'rewrite'],
    recommended: true,
    sources: {
      squawk: 'changing-column-type',
      strongMigrations: 'change_column',
      eugene: 'E5',
      pgfence: 'alter-column-type',
    },
    options: {
      type: 'object',
      properties: {
        assumeUtc: {
          type: 'boolean',
          default: false,
          description:
            'The migration sessions run with TimeZone set to UTC (server, role or connection setting), so timestamp ⇄ timestamptz changes keep the rows (PostgreSQL 12 or later). A `SET TimeZone` in the script overrides it.',
        },
      },
      additionalProperties: false,
    },
    defaultOptions: { assumeUtc: false },
  },
  create(ctx) {
    let utc = ctx.options.assumeUtc;
    return {
      VariableSetStmt(stmt) {
        const tz = timeZoneSetting(stmt);
        if (tz !== undefined) utc = tz === 'default' ? ctx.options.assumeUtc : tz;
      },
      AlterTableStmt(stmt) {
        const n = stmt.node;
        const table = liveTableAltered(ctx, stmt);
        if (!table) return;
        const lock = ctx.state.locks.find((l) => l.relation === table);
        const shown = displayRelation(table);
        for (const cmd of alterCommands(n)) {
          if (cmd.subtype !== 'AT_AlterColumnType') continue;
          const change = typeChange(ctx.state.catalog, table, cmd, ctx.pgVersion, utc);
          if (change.kind !== 'rewrite' && change.kind !== 'index-rebuild') continue;
          const column: string = cmd.name;
          const col = quoteIdent(column);
          const target = formatType(change.to);
          const from = change.from ? ` from ${formatType(change.from)}` : '';
          const indexes = change.indexes.length ? ` and its ${change.indexes.length === 1 ? 'index' : 'indexes'} \`${change.indexes.join('`, `')}\`` : '';
          const rewrite = change.kind === 'rewrite';
          const timestampHint =
            change.from && /^timestamp/.test(change.from.name) && /^timestamp/.test(change.to.name) && change.from.name !== change.to.name && ctx.pgVersion >= 12
              ? ' If the migration runs with TimeZone UTC, say so with `SET TimeZone = \'UTC\'` before the statement (or the `assumeUtc` option) and the rows are kept.'
              : '';
          const lengthHint =
            change.to.name === 'varchar' && change.to.mods.length > 0 && change.from && ['varchar', 'text'].includes(change.from.name)
              ? ` If the goal is a length limit, keep the type and add \`CHECK (char_length(${col}) <= ${change.to.mods[0]}) NOT VALID\`, then \`VALIDATE CONSTRAINT\` in a later migration.`
              : '';
          ctx.report({
            stmt,
            range: columnNameRange(stmt, 'ALTER', column),
            message: rewrite
              ? `Changing \`${shown}.${column}\`${from} to ${target} rewrites the whole table${indexes}: ${change.reason}.`
              : `Changing \`${shown}.${column}\`${from} to ${target} rebuilds its ${change.indexes.length === 1 ? 'index' : 'indexes'} \`${change.indexes.join('`, `')}\`: ${change.reason}.`,
            why: `${lock ? lockSentence(lockForCommand(lock, cmd, ctx.pgVersion), rewrite ? 'for the whole rewrite' : 'while the indexes are rebuilt') : 'The statement holds an ACCESS EXCLUSIVE lock until it finishes.'} It lasts as long as the table (and its indexes) are big.`,
            remedy: rewrite
              ? `Expand and contract: add a new column of type ${target}, keep it in sync with a trigger, backfill it in batches, switch readers and writers to it, then drop \`${col}\` (and rename the new column) in a later migration.${timestampHint}${lengthHint}`
              : `To avoid the blocking rebuild, expand and contract: add a ${target} column, backfill it in batches, index it with \`CREATE INDEX CONCURRENTLY\`, switch readers, then drop \`${col}\`. Otherwise run it at a quiet time with a short \`lock_timeout\`: the lock lasts as long as building those indexes.`,
            properties: { table: shown, column, to: target, ...(change.from ? { from: formatType(change.from) } : {}) },
          });
        }
      },
    };
  },
});
