import { defineRule } from '../../src/core/rule.js';
import { describeBlocked, lockSentence } from '../../src/locks/lock-table.js';
import { displayRelation } from '../../src/rules/helpers.js';
import type { SqlStatement } from '../../src/sql/parse.js';
import { isVacuumFull } from '../../src/sql/ast.js';
import { isFresh } from './table-work.js';

export default defineRule({
  id: 'no-vacuum-full',
  family: 'migration',
  meta: {
    description: '`VACUUM FULL` or `CLUSTER` in a migration.',
    rationale:
      'Both rewrite the whole table (and rebuild its indexes) under an ACCESS EXCLUSIVE lock: no reads, no writes until the copy is finished.',
    remedy:
      'Reclaim space online instead (`pg_repack`, or `REPACK (CONCURRENTLY)` from PostgreSQL 19); often plain `VACUUM`, which makes the space reusable without blocking traffic, is enough.',
    severity: 'error',
    precision: 'very-high',
    tags: ['locks', 'availability', 'rewrite'],
    recommended: true,
    sources: {
      squawk: 'prefer-repack',
      pgfence: 'vacuum-full, cluster',
    },
  },
  create(ctx) {
    const report = (stmt: SqlStatement, command: 'VACUUM FULL' | 'CLUSTER', index?: string) => {
      const locks = ctx.state.locks.filter((l) => !isFresh(ctx, l.relation));
      if (ctx.state.locks.length > 0 && locks.length === 0) return; // only tables created in this migration
      const tables = locks.map((l) => displayRelation(l.relation));
      const target = tables.length ? `\`${tables.join('`, `')}\`` : command === 'CLUSTER' ? 'every previously clustered table' : 'every table of the database';
      const repack19 =
        ctx.pgVersion >= 19
          ? ` On PostgreSQL 19, \`REPACK (CONCURRENTLY) ${tables[0] ?? '<table>'}${index ? ` USING INDEX ${index}` : ''}\` does the same online (the table needs a primary key or a replica identity index).`
          : '';
      ctx.report({
        stmt,
        message: `\`${command}\` rewrites ${target} in a migration.`,
        why: locks.length
          ? `${lockSentence(locks[0], 'for the whole rewrite')} The rewrite copies every live row and rebuilds every index, so it lasts as long as the table is big, and needs as much free disk again.`
          : `It takes an ACCESS EXCLUSIVE lock on each table in turn, which blocks ${describeBlocked('ACCESS EXCLUSIVE')} on it for the whole rewrite.`,
        remedy:
          `Take it out of the migration. To reclaim space without blocking traffic, run \`pg_repack${tables[0] ? ` --table=${tables[0]}` : ''}${index ? ` --order-by=…` : ''}\` as a maintenance task.${repack19} ` +
          'If the goal is only to make dead space reusable, plain `VACUUM` does that without blocking reads or writes.',
        properties: { command, ...(tables.length ? { table: tables.join(', ') } : {}) },
      });
    };
    return {
      VacuumStmt(stmt) {
        if (stmt.node.is_vacuumcmd && isVacuumFull(stmt.node)) report(stmt, 'VACUUM FULL');
      },
      ClusterStmt(stmt) {
        report(stmt, 'CLUSTER', stmt.node.indexname);
      },
    };
  },
});
