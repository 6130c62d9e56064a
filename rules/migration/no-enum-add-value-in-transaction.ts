import type { Catalog } from '../../src/catalog/catalog.js';
import { defineRule } from '../../src/core/rule.js';
import { listKey, rangeVarKey, strings, walk } from '../../src/sql/ast.js';
import type { SqlStatement } from '../../src/sql/parse.js';
import { displayRelation, transactionCause } from '../../src/rules/helpers.js';

interface PendingValue {
  enumKey: string;
  value: string;
  stmt: SqlStatement;
}

export default defineRule({
  id: 'no-enum-add-value-in-transaction',
  family: 'migration',
  meta: {
    description:
      '`ALTER TYPE … ADD VALUE` inside a transaction: refused before PostgreSQL 12, and from 12 on the new value cannot be used before the transaction commits.',
    rationale:
      'Before PostgreSQL 12, `ADD VALUE` fails inside a transaction block; from 12 on it runs, but any later statement of the same transaction that uses the new value fails with "unsafe use of new value". Either way the migration stops half-way.',
    remedy:
      'Add the enum value in its own migration that runs outside a transaction (or commit right after it), and use the value in a later migration.',
    severity: 'error',
    precision: 'high',
    tags: ['one-way', 'transactions', 'enum'],
    recommended: true,
    sources: {
      pgfence: 'alter-enum-add-value',
    },
  },
  create(ctx) {
    /** Enum types created by this script, with their CREATE statement (the PostgreSQL exemption). */
    const createdEnums = new Map<string, SqlStatement>();
    let pending: PendingValue[] = [];
    const tx = () => ctx.state.transaction;
    const inSameTransaction = (s: SqlStatement) => tx().active && tx().statements.includes(s);

    return {
      '*'(stmt) {
        const n = stmt.node;
        // Values added earlier in a transaction that has since committed are safe to use.
        pending = pending.filter((p) => inSameTransaction(p.stmt));

        if (stmt.kind === 'CreateEnumStmt') {
          createdEnums.set(listKey(n.typeName), stmt);
          return;
        }
        if (stmt.kind === 'AlterEnumStmt') {
          if (n.oldVal || !n.newVal) return;
          const enumKey = listKey(n.typeName);
          const known = ctx.state.catalog.enums.get(enumKey);
          // `ADD VALUE IF NOT EXISTS` of a value that is already there does nothing.
          if (known?.values.includes(n.newVal)) return;
          if (!tx().active) return;
          // PostgreSQL's exemption: the type itself was created earlier in the same transaction.
          const created = createdEnums.get(enumKey);
          if (created && inSameTransaction(created)) return;
          const type = displayRelation(enumKey);
          if (ctx.pgVersion < 12) {
            ctx.report({
              stmt,
              message: `\`ALTER TYPE ${type} ADD VALUE '${n.newVal}'\` runs inside a transaction (${transactionCause(ctx)}), which PostgreSQL ${ctx.pgVersion} refuses.`,
              why:
                'Before PostgreSQL 12, `ALTER TYPE … ADD VALUE` cannot run inside a transaction block: the migration fails with "ALTER TYPE … ADD cannot run inside a transaction block". ' +
                'Note that the value, once added, can never be removed without recreating the type.',
              remedy: tx().byFramework
                ? 'Move the `ADD VALUE` to its own migration and opt that migration out of the framework\'s transaction, or upgrade to PostgreSQL 12 or later.'
                : 'Move the `ADD VALUE` outside `BEGIN … COMMIT` (in its own migration), or upgrade to PostgreSQL 12 or later.',
              properties: { type, value: n.newVal, pgVersion: ctx.pgVersion },
            });
            return;
          }
          pending.push({ enumKey, value: n.newVal, stmt });
          return;
        }
        if (pending.length === 0 || stmt.kind === 'CreateFunctionStmt' || stmt.kind === 'DoStmt') return;
        for (const p of [...pending]) {
          if (!usesValue(stmt, p, ctx.state.catalog)) continue;
          pending = pending.filter((x) => x !== p);
          const type = displayRelation(p.enumKey);
          const literal = `'${p.value.replace(/'/g, "''")}'`;
          const tok = stmt.tokens.find((t) => t.kind === 'SCONST' && t.text === literal);
          ctx.report({
            stmt,
            range: tok ? { start: tok.start, end: tok.end } : undefined,
            message: `This statement uses '${p.value}', added to enum \`${type}\` earlier in the same transaction (${transactionCause(ctx)}): PostgreSQL refuses it until that transaction commits.`,
            why:
              `A value added by \`ALTER TYPE … ADD VALUE\` cannot be used before its transaction commits: the statement fails with "unsafe use of new value '${p.value}' of enum type ${type.split('.').pop()}" and the whole migration rolls back. ` +
              'Enum values can never be removed afterwards without recreating the type, so add them deliberately.',
            remedy: `Put \`ALTER TYPE ${type} ADD VALUE '${p.value}'\` in its own migration (or \`COMMIT\` right after it), and use '${p.value}' in a later migration.`,
            related: [{ range: p.stmt.range, message: `'${p.value}' is added to \`${type}\` here, in the same transaction.` }],
            properties: { type, value: p.value },
          });
        }
      },
    };
  },
});

/**
 * True when the statement turns the literal into a value of the enum: a cast to the enum type, or the
 * literal in a statement over a table that has a column of the enum type, or a CREATE TABLE with such a column.
 */
function usesValue(stmt: SqlStatement, p: PendingValue, catalog: Catalog): boolean {
  const typeName = p.enumKey.split('.').pop()!.toLowerCase();
  const isEnumType = (typeNameNode: any) => (strings(typeNameNode?.names).pop() ?? '').toLowerCase() === typeName;
  const isLiteral = (node: any) => node?.A_Const?.sval?.sval === p.value;
  let literal = false;
  let cast = false;
  let enumColumnHere = false;
  const relations: string[] = [];
  walk(stmt.node, (node: any) => {
    if (isLiteral(node)) literal = true;
    if (node.TypeCast && isLiteral(node.TypeCast.arg) && isEnumType(node.TypeCast.typeName)) cast = true;
    if (node.ColumnDef && isEnumType(node.ColumnDef.typeName)) enumColumnHere = true;
    if (node.RangeVar) relations.push(rangeVarKey(node.RangeVar));
    return true;
  });
  if (stmt.node?.relation && !relations.includes(rangeVarKey(stmt.node.relation))) relations.push(rangeVarKey(stmt.node.relation));
  if (!literal) return false;
  if (cast || enumColumnHere) return true;
  return relations.some((key) => {
    const table = catalog.table(key);
    return table ? [...table.columns.values()].some((c) => c.type.name === typeName) : false;
  });
}
