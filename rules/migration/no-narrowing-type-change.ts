import { defineRule } from '../../src/core/rule.js';
import { alterCommands, columnType, formatType, rangeVarKey, type ColumnType } from '../../src/sql/ast.js';
import { displayRelation, identToken } from '../../src/rules/helpers.js';

export default defineRule({
  id: 'no-narrowing-type-change',
  family: 'migration',
  meta: {
    description: '`ALTER COLUMN … TYPE` to a narrower type that can lose data or fail on existing rows.',
    rationale:
      'A narrower type cannot hold every value of the old one: rows that do not fit make the migration fail, or are silently rounded, truncated or shifted, and a down migration cannot restore the lost precision.',
    remedy:
      'Check the existing data first; keep the wide type and enforce the limit with a CHECK constraint, or migrate to a new column with an explicit, reviewed conversion (expand and contract).',
    severity: 'error',
    precision: 'high',
    tags: ['one-way', 'data-loss'],
    recommended: true,
    sources: {},
  },
  create(ctx) {
    return {
      AlterTableStmt(stmt) {
        const n = stmt.node;
        if (n.objtype !== undefined && n.objtype !== 'OBJECT_TABLE') return;
        const key = rangeVarKey(n.relation);
        const table = ctx.state.catalog.table(key);
        if (!table || ctx.isNewTable(key) || table.origin.migrationId === ctx.migration.id) return;
        const name = displayRelation(key);
        let after = -1;
        for (const cmd of alterCommands(n)) {
          if (cmd.subtype !== 'AT_AlterColumnType' || !cmd.name) continue;
          const typeName = cmd.def?.ColumnDef?.typeName;
          const column = table.columns.get(cmd.name);
          // Unknown old type (the history does not show the column) or a column added by this migration.
          if (!typeName || !column || column.origin.migrationId === ctx.migration.id) continue;
          const next = columnType(typeName);
          const loss = narrowing(column.type, next);
          const tok = identToken(stmt, cmd.name, after);
          if (tok) after = tok.end;
          if (!loss) continue;
          const from = formatType(column.type);
          const to = formatType(next);
          ctx.report({
            stmt,
            range: tok ? { start: tok.start, end: tok.end } : undefined,
            message: `Changing \`${name}.${cmd.name}\` from ${from} to ${to} narrows it: ${loss.what}.`,
            why: `${loss.effect} A down migration can change the type back, but not restore what the conversion lost.`,
            remedy: loss.remedy(name, cmd.name),
            properties: { table: name, column: cmd.name, from, to },
          });
        }
      },
    };
  },
});

interface Loss {
  /** What can go wrong, completing "narrows it: …". */
  what: string;
  /** The consequence for existing rows. */
  effect: string;
  remedy: (table: string, column: string) => string;
}

const INT_RANK: Record<string, number> = { int2: 2, int4: 4, int8: 8, smallserial: 2, serial: 4, bigserial: 8 };
const INT_NAME: Record<number, string> = { 2: 'smallint', 4: 'integer', 8: 'bigint' };
const INT_RANGE: Record<number, string> = { 2: '-32768 to 32767', 4: '-2147483648 to 2147483647', 8: '±9.2e18' };
/** Decimal digits needed by the largest value of each integer size. */
const INT_DIGITS: Record<number, number> = { 2: 5, 4: 10, 8: 19 };
const TEXT = new Set(['text', 'varchar', 'bpchar']);
const DATETIME_PRECISION = new Set(['timestamp', 'timestamptz', 'time', 'timetz']);

const expandContract = (table: string, column: string, type: string) =>
  `If ${type} is really wanted, count the rows it would change first (\`SELECT count(*) FROM ${table} WHERE …\`), then migrate through a new ${type} column: add it, backfill it in batches with a conversion you chose, switch the code to it, and drop \`${column}\` in a later migration, so the original values stay until you are sure.`;

/** Why changing `old` to `next` can lose data or fail, or undefined when it cannot (or we cannot tell). */
export function narrowing(old: ColumnType, next: ColumnType): Loss | undefined {
  if (old.array !== next.array) return undefined;
  if (old.name === next.name && old.mods.join(',') === next.mods.join(',')) return undefined;
  const to = formatType(next);

  // Text: a shorter length limit.
  if (TEXT.has(old.name) && (next.name === 'varchar' || next.name === 'bpchar')) {
    // `bpchar` without a length is ambiguous here (`char` means char(1), the name `bpchar` means unlimited).
    if (old.name === 'bpchar' && old.mods.length === 0) return undefined;
    if (next.mods.length === 0) return undefined;
    const oldLen = old.name === 'text' || old.mods.length === 0 ? Infinity : old.mods[0];
    const newLen = next.mods[0];
    if (newLen >= oldLen) return undefined;
    return {
      what: `values longer than ${newLen} characters do not fit`,
      effect: `Any existing value longer than ${newLen} characters makes the migration fail ("value too long"), and a USING cast such as \`::${to}\` silently cuts them to ${newLen} characters instead.`,
      remedy: (table, column) =>
        `Keep the current type and enforce the limit with a constraint: \`ALTER TABLE ${table} ADD CONSTRAINT ${table.split('.').pop()}_${column}_length CHECK (char_length(${column}) <= ${newLen}) NOT VALID\`, then \`VALIDATE CONSTRAINT\` in a later migration (after fixing the rows that are too long); unlike the type change, it can be dropped again.`,
    };
  }

  const oldInt = INT_RANK[old.name];
  const newInt = INT_RANK[next.name];
  // Integers: a smaller integer type.
  if (oldInt && newInt) {
    if (newInt >= oldInt) return undefined;
    return {
      what: `values outside ${INT_RANGE[newInt]} do not fit`,
      effect: `Any existing value outside the ${INT_NAME[newInt]} range makes the migration fail ("out of range"); if none does yet, the column overflows later, when new rows need the range it used to have.`,
      remedy: (table, column) => `Keep ${INT_NAME[oldInt]}. ${expandContract(table, column, to)}`,
    };
  }
  // Integers into numeric with too few integer digits.
  if (oldInt && next.name === 'numeric' && next.mods.length > 0) {
    const intDigits = next.mods[0] - (next.mods[1] ?? 0);
    if (intDigits >= INT_DIGITS[oldInt]) return undefined;
    return {
      what: `values with more than ${intDigits} integer digits do not fit`,
      effect: `Any existing value with more than ${intDigits} digits makes the migration fail ("numeric field overflow").`,
      remedy: (table, column) => expandContract(table, column, to),
    };
  }
  // Integers into floating point: large values lose their low digits.
  if (oldInt && (next.name === 'float4' || next.name === 'float8')) {
    const mantissa = next.name === 'float4' ? 24 : 53;
    if (oldInt === 2 || (oldInt === 4 && mantissa === 53)) return undefined;
    return {
      what: `integers above 2^${mantissa} are rounded`,
      effect: `Floating point keeps only ${mantissa} bits of precision: integers larger than 2^${mantissa} are stored rounded, so identifiers, counters and amounts silently change value.`,
      remedy: (table, column) => `Keep an integer or numeric type. ${expandContract(table, column, to)}`,
    };
  }

  // Exact numbers into integers or floating point.
  if (old.name === 'numeric' && newInt) {
    return {
      what: 'fractional parts are rounded away and large values do not fit',
      effect: `Every existing value is rounded to a whole number, and values outside the ${INT_NAME[newInt]} range make the migration fail.`,
      remedy: (table, column) => expandContract(table, column, to),
    };
  }
  if (old.name === 'numeric' && (next.name === 'float4' || next.name === 'float8')) {
    return {
      what: 'exact decimal values become approximate',
      effect: `Floating point cannot represent most decimal fractions exactly (0.1 becomes 0.1000000000000000055…), and ${next.name === 'float4' ? 'real keeps only about 6 significant digits' : 'double precision keeps only about 15 significant digits'}: amounts and totals silently change.`,
      remedy: (table, column) => `Keep numeric for exact values (money, quantities). ${expandContract(table, column, to)}`,
    };
  }
  if (old.name === 'numeric' && next.name === 'numeric') {
    if (next.mods.length === 0) return undefined;
    const p2 = next.mods[0];
    const s2 = next.mods[1] ?? 0;
    if (old.mods.length === 0) {
      return {
        what: `values are limited to ${p2 - s2} integer digits and ${s2} decimal places`,
        effect: `Unconstrained numeric values with more than ${s2} decimal places are rounded, and values with more than ${p2 - s2} integer digits make the migration fail ("numeric field overflow").`,
        remedy: (table, column) => expandContract(table, column, to),
      };
    }
    const p = old.mods[0];
    const s = old.mods[1] ?? 0;
    const problems: string[] = [];
    if (s2 < s) problems.push(`decimal places drop from ${s} to ${s2}, so existing values are rounded`);
    if (p2 - s2 < p - s) problems.push(`integer digits drop from ${p - s} to ${p2 - s2}, so larger values make the migration fail ("numeric field overflow")`);
    if (problems.length === 0) return undefined;
    return {
      what: problems.map((x) => x.split(',')[0]).join(' and '),
      effect: `${problems.join('; ')}.`.replace(/^./, (c) => c.toUpperCase()),
      remedy: (table, column) => expandContract(table, column, to),
    };
  }

  // Floating point: double to real, or into integers or bounded numeric.
  if (old.name === 'float8' && next.name === 'float4') {
    return {
      what: 'precision drops from about 15 to about 6 significant digits',
      effect: 'Every existing value is rounded to real precision, and values beyond about 3.4e38 make the migration fail.',
      remedy: (table, column) => expandContract(table, column, to),
    };
  }
  if ((old.name === 'float4' || old.name === 'float8') && newInt) {
    return {
      what: 'fractional parts are rounded away and large values do not fit',
      effect: `Every existing value is rounded to a whole number, and values outside the ${INT_NAME[newInt]} range (or NaN and Infinity) make the migration fail.`,
      remedy: (table, column) => expandContract(table, column, to),
    };
  }

  // Date and time.
  if (old.name === 'timestamptz' && next.name === 'timestamp') {
    return {
      what: 'the time zone is dropped',
      effect:
        'Each absolute instant is converted to the wall-clock time of the TimeZone setting of the session that runs the migration, and that offset is not stored: the same value now means different instants to clients in other time zones, and daylight-saving changes make some values ambiguous.',
      remedy: (table, column) => `Keep timestamptz (store instants, convert for display in the code). ${expandContract(table, column, to)}`,
    };
  }
  if ((old.name === 'timestamptz' || old.name === 'timestamp') && next.name === 'date') {
    return {
      what: 'the time of day is dropped',
      effect: 'Every existing value is cut to its date; the time of day cannot be recovered.',
      remedy: (table, column) => expandContract(table, column, to),
    };
  }
  if (old.name === 'timetz' && next.name === 'time') {
    return {
      what: 'the time zone offset is dropped',
      effect: 'Every existing value loses its UTC offset; the same value now means different times in different zones.',
      remedy: (table, column) => expandContract(table, column, to),
    };
  }
  if (DATETIME_PRECISION.has(old.name) && old.name === next.name && next.mods.length > 0) {
    const p = old.mods[0] ?? 6;
    const p2 = next.mods[0];
    if (p2 >= p) return undefined;
    return {
      what: `fractional seconds are rounded to ${p2} digit${p2 === 1 ? '' : 's'}`,
      effect: `Every existing value is rounded from ${p} to ${p2} fractional-second digits: ordering and equality comparisons between values that differed only in those digits change.`,
      remedy: (table, column) => expandContract(table, column, to),
    };
  }

  // Anything into boolean collapses the values to two.
  if (next.name === 'bool' && old.name !== 'bool' && isBuiltin(old.name)) {
    return {
      what: 'every value collapses to true or false',
      effect: `Converting ${formatType(old)} to boolean needs a USING expression that maps every existing value to true, false or NULL: the original values are gone.`,
      remedy: (table, column) => expandContract(table, column, to),
    };
  }
  return undefined;
}

const BUILTIN = new Set([
  'int2', 'int4', 'int8', 'smallserial', 'serial', 'bigserial', 'numeric', 'float4', 'float8',
  'text', 'varchar', 'bpchar', 'date', 'timestamp', 'timestamptz', 'time', 'timetz',
]);

function isBuiltin(name: string): boolean {
  return BUILTIN.has(name);
}
