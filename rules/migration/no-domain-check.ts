import { defineRule } from '../../src/core/rule.js';
import { describeBlocked, lockSentence } from '../../src/locks/lock-table.js';
import { listKey, strings } from '../../src/sql/ast.js';
import { displayRelation } from '../../src/rules/helpers.js';
import { tablesUsingDomain } from './table-work.js';

export default defineRule({
  id: 'no-domain-check',
  family: 'migration',
  meta: {
    description:
      '`CREATE DOMAIN … CHECK`, and `ALTER DOMAIN … ADD CONSTRAINT` / `SET NOT NULL` that validates the columns using the domain (`VALIDATE CONSTRAINT` too before PostgreSQL 19).',
    rationale:
      'A domain constraint is checked by scanning every column of every table that uses the domain under a SHARE lock (writes blocked), and each later `ADD COLUMN` of a constrained domain type rewrites its table.',
    remedy:
      'Prefer the base type with a table CHECK constraint (added NOT VALID, validated separately); to change an existing domain, add the constraint with NOT VALID.',
    severity: 'warning',
    precision: 'high',
    tags: ['locks', 'availability', 'domains'],
    recommended: true,
    sources: {
      squawk: 'ban-create-domain-with-constraint, ban-alter-domain-with-add-constraint',
    },
  },
  create(ctx) {
    return {
      CreateDomainStmt(stmt) {
        const n = stmt.node;
        const checks = (n.constraints ?? []).map((c: any) => c.Constraint).filter((c: any) => c?.contype === 'CONSTR_CHECK');
        if (checks.length === 0) return;
        const name = displayRelation(listKey(n.domainname));
        ctx.report({
          stmt,
          message: `Domain \`${name}\` is created with a CHECK constraint.`,
          why:
            `Every \`ALTER TABLE … ADD COLUMN … ${name}\` on an existing table will rewrite that table under an ACCESS EXCLUSIVE lock to check the rows, ` +
            `and changing the rule later (\`ALTER DOMAIN ${name} ADD CONSTRAINT\`) scans every column using \`${name}\` while it blocks ${describeBlocked('SHARE')} on their tables.`,
          remedy:
            `Create \`${name}\` without the CHECK (or use the base type directly) and put the rule in table CHECK constraints, which can be added \`NOT VALID\` and validated without blocking writes.`,
          properties: { domain: name },
        });
      },
      AlterDomainStmt(stmt) {
        const n = stmt.node;
        const domainKey = listKey(n.typeName);
        const name = displayRelation(domainKey);
        const domain = ctx.state.catalog.domains.get(domainKey);
        let action: string;
        let operation: string;
        if (n.subtype === 'C' && (n.def?.Constraint?.contype === 'CONSTR_CHECK' || n.def?.Constraint?.contype === 'CONSTR_NOTNULL')) {
          if (n.def.Constraint.skip_validation) return; // NOT VALID: nothing is scanned now
          action = `ADD CONSTRAINT${n.def.Constraint.conname ? ` ${n.def.Constraint.conname}` : ''}`;
          operation = 'ALTER DOMAIN … ADD CONSTRAINT';
        } else if (n.subtype === 'O') {
          action = 'SET NOT NULL';
          operation = 'ALTER DOMAIN … SET NOT NULL';
        } else if (n.subtype === 'V' && ctx.pgVersion < 19) {
          action = `VALIDATE CONSTRAINT ${n.name}`;
          operation = 'ALTER DOMAIN … VALIDATE CONSTRAINT';
        } else {
          return;
        }
        // A domain created in this same migration is used by no existing table yet.
        if (domain && domain.origin.file === ctx.file) return;
        const tables = tablesUsingDomain(ctx, strings(n.typeName).pop() ?? '');
        // The catalog knows the domain and no existing table uses it: nothing to scan.
        if (domain && tables.length === 0) return;
        const lock = tables.length ? { relation: tables[0], mode: 'SHARE' as const, operation } : undefined;
        const where = tables.length ? `\`${tables.map(displayRelation).join('`, `')}\`` : 'every table with a column of this domain';
        const validate = n.subtype === 'V';
        ctx.report({
          stmt,
          message: `\`ALTER DOMAIN ${name} ${action}\` checks every row of ${where}.`,
          why:
            `${lock ? lockSentence(lock, 'while it scans') : `It takes a SHARE lock on each of them, which blocks ${describeBlocked('SHARE')} while it scans.`}` +
            (tables.length > 1 ? ` The same holds for every other table listed.` : '') +
            (validate ? ' Before PostgreSQL 19, validating a domain constraint takes this SHARE lock (from 19, a SHARE UPDATE EXCLUSIVE lock that lets writes through).' : ''),
          remedy: validate
            ? 'On PostgreSQL 19 or later this validation no longer blocks writes; before that, run it at a quiet time with a short `lock_timeout`, or replace the domain constraint by table CHECK constraints validated with `ALTER TABLE … VALIDATE CONSTRAINT`.'
            : `Add the rule with \`NOT VALID\` (\`ALTER DOMAIN ${name} ADD CONSTRAINT … ${n.subtype === 'O' ? 'CHECK (VALUE IS NOT NULL) ' : ''}NOT VALID\`): new and updated values are checked at once, and existing rows are validated later with \`ALTER DOMAIN ${name} VALIDATE CONSTRAINT …\`${ctx.pgVersion >= 19 ? ', which does not block writes' : ' (which still blocks writes before PostgreSQL 19: run it at a quiet time)'}.`,
          properties: { domain: name, ...(tables.length ? { tables: tables.map(displayRelation).join(', ') } : {}) },
        });
      },
    };
  },
});
