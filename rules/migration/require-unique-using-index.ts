import { defineRule } from '../../src/core/rule.js';
import { lockForCommand, lockSentence } from '../../src/locks/lock-table.js';
import { alterCommands, columnConstraints, rangeVarName, strings } from '../../src/sql/ast.js';
import { alterCommandRanges, displayRelation, quoteIdent, liveTableAltered } from '../../src/rules/helpers.js';

export default defineRule({
  id: 'require-unique-using-index',
  family: 'migration',
  meta: {
    description:
      '`ADD UNIQUE` / `ADD PRIMARY KEY` on an existing table that builds its index in place (no `USING INDEX`), including inline `UNIQUE` / `PRIMARY KEY` in `ADD COLUMN`.',
    rationale:
      'The constraint’s unique index is built while `ALTER TABLE` holds an ACCESS EXCLUSIVE lock: every read and write on the table waits for the whole index build.',
    remedy:
      'Build the index first with `CREATE UNIQUE INDEX CONCURRENTLY`, then attach it with `ALTER TABLE … ADD CONSTRAINT … UNIQUE USING INDEX …` (or `PRIMARY KEY USING INDEX`), which only takes a brief lock.',
    severity: 'error',
    precision: 'very-high',
    tags: ['locks', 'availability', 'constraints'],
    recommended: true,
    sources: {
      squawk: 'disallowed-unique-constraint, adding-serial-primary-key-field',
      strongMigrations: 'add_unique_constraint',
      eugene: 'E7',
      pgfence: 'add-constraint-unique, add-pk-without-using-index',
    },
  },
  create(ctx) {
    return {
      AlterTableStmt(stmt) {
        const n = stmt.node;
        const key = liveTableAltered(ctx, stmt);
        if (!key) return;
        const table = ctx.state.catalog.table(key);
        const cmds = alterCommands(n);
        const ranges = alterCommandRanges(stmt, cmds.length);
        const lock = ctx.state.locks.find((l) => l.relation === key) ?? ctx.state.locks[0];
        if (!lock) return;
        const tableSql = [rangeVarName(n.relation).schema, rangeVarName(n.relation).name].filter(Boolean).map((s) => quoteIdent(s as string)).join('.');
        const relname: string = n.relation.relname;

        cmds.forEach((cmd, i) => {
          const found: Array<{ c: any; columns: string[]; inlineColumn?: string }> = [];
          if (cmd.subtype === 'AT_AddConstraint') {
            const c = cmd.def?.Constraint;
            if ((c?.contype === 'CONSTR_UNIQUE' || c?.contype === 'CONSTR_PRIMARY') && !c.indexname) found.push({ c, columns: strings(c.keys) });
          } else if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef) {
            const column: string = cmd.def.ColumnDef.colname;
            for (const c of columnConstraints(cmd.def.ColumnDef)) {
              if (c.contype === 'CONSTR_UNIQUE' || c.contype === 'CONSTR_PRIMARY') found.push({ c, columns: [column], inlineColumn: column });
            }
          }
          for (const { c, columns, inlineColumn } of found) {
            const primary = c.contype === 'CONSTR_PRIMARY';
            const kind = primary ? 'PRIMARY KEY' : 'UNIQUE';
            const what = `${kind}${c.conname ? ` constraint \`${c.conname}\`` : ''} (${columns.join(', ')})`;
            const name: string = c.conname ?? (primary ? `${relname}_pkey` : `${relname}_${columns.join('_')}_key`);
            const cols = columns.map(quoteIdent).join(', ');
            let remedy: string;
            if (table?.partitioned) {
              remedy =
                '`USING INDEX` is not supported on partitioned tables, and neither is `CREATE INDEX CONCURRENTLY` on the parent: ' +
                'there is no lock-free recipe at the parent level, so run it in a low-traffic window with a short `lock_timeout`.';
            } else {
              remedy =
                (inlineColumn ? `Add \`${inlineColumn}\` without ${kind} first. Then, in` : 'In') +
                ` a migration that runs outside a transaction, \`CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(name)} ON ${tableSql} (${cols})\`; ` +
                `then \`ALTER TABLE ${tableSql} ADD CONSTRAINT ${quoteIdent(name)} ${kind} USING INDEX ${quoteIdent(name)}\`.` +
                (primary
                  ? ' A primary key also needs its columns NOT NULL: make them NOT NULL beforehand (see no-set-not-null-scan), or attaching the index scans the table under the same lock.'
                  : '');
            }
            ctx.report({
              stmt,
              range: ranges[i],
              message: inlineColumn
                ? `\`ADD COLUMN ${inlineColumn} … ${kind}\` on existing table \`${displayRelation(key)}\` builds a unique index while the table is locked.`
                : `\`ADD ${what}\` on existing table \`${displayRelation(key)}\` builds its unique index while the table is locked.`,
              why: lockSentence(lockForCommand(lock, cmd, ctx.pgVersion), 'for the whole index build'),
              remedy,
              properties: { lockMode: lock.mode, table: displayRelation(key), constraint: primary ? 'primary' : 'unique' },
            });
          }
        });
      },
    };
  },
});
