import { defineRule, type MigrationContext } from '../../src/core/rule.js';
import type { Range } from '../../src/core/source.js';
import { alterCommands, rangeVarKey, strings } from '../../src/sql/ast.js';
import type { SqlStatement } from '../../src/sql/parse.js';
import { tokenRangeAt } from '../../src/rules/declared-columns.js';
import { alterCommandRanges, displayRelation, identToken } from '../../src/rules/helpers.js';

interface Occurrence {
  name: string;
  range: Range;
  /** `SET tags[1] = …` or `SET address.city = …`: assigns part of the column. */
  partial: boolean;
}

type Ctx = MigrationContext<Record<string, unknown>>;

export default defineRule({
  id: 'no-duplicate-column-assignment',
  family: 'migration',
  directions: ['up', 'down'],
  meta: {
    description:
      'A column named twice where each name must be unique: in an `UPDATE … SET`, an `INSERT` column list, `ON CONFLICT DO UPDATE`, `MERGE`, the columns of a `CREATE TABLE`/view/`CREATE TABLE AS`, or two conflicting sub-commands on one column in an `ALTER TABLE`.',
    rationale:
      'PostgreSQL rejects most of these ("multiple assignments to same column", "column specified more than once", "cannot alter type of column twice"), so the migration fails at deploy time. The `ALTER TABLE` defaults and NOT NULL pairs it accepts are applied in its own order, not the order written.',
    remedy: 'Name each column once: keep the assignment or sub-command you mean and delete the other.',
    severity: 'error',
    precision: 'very-high',
    tags: ['correctness'],
    recommended: true,
    sources: {
      squawk: 'ban-duplicate-column-assignments',
    },
  },
  create(ctx) {
    return {
      '*'(stmt) {
        const loc = stmt;
        const n = loc.node;
        switch (stmt.kind) {
          case 'UpdateStmt':
            assignments(ctx, stmt, targets(loc, stmt, n.targetList), `UPDATE ${displayRelation(rangeVarKey(n.relation))}`);
            return;
          case 'InsertStmt': {
            const table = displayRelation(rangeVarKey(n.relation));
            columnList(ctx, stmt, targets(loc, stmt, n.cols), `the column list of INSERT INTO ${table}`);
            if (n.onConflictClause?.targetList) {
              assignments(ctx, stmt, targets(loc, stmt, n.onConflictClause.targetList), `ON CONFLICT DO UPDATE of ${table}`);
            }
            return;
          }
          case 'MergeStmt': {
            const table = displayRelation(rangeVarKey(n.relation));
            for (const w of n.mergeWhenClauses ?? []) {
              const clause = w.MergeWhenClause;
              if (clause?.commandType === 'CMD_UPDATE') assignments(ctx, stmt, targets(loc, stmt, clause.targetList), `MERGE … UPDATE of ${table}`);
              if (clause?.commandType === 'CMD_INSERT') columnList(ctx, stmt, targets(loc, stmt, clause.targetList), `MERGE … INSERT into ${table}`);
            }
            return;
          }
          case 'CreateStmt': {
            const cols: Occurrence[] = (n.tableElts ?? [])
              .filter((e: any) => e.ColumnDef?.colname)
              .map((e: any) => occurrence(e.ColumnDef.colname, false, () => tokenRangeAt(stmt, loc.at(e.ColumnDef.location))));
            definitions(ctx, stmt, cols, `table ${displayRelation(rangeVarKey(n.relation))}`);
            return;
          }
          case 'ViewStmt':
            definitions(ctx, stmt, outputColumns(loc, stmt, strings(n.aliases), n.query), `view ${displayRelation(rangeVarKey(n.view))}`);
            return;
          case 'CreateTableAsStmt':
            definitions(
              ctx,
              stmt,
              outputColumns(loc, stmt, strings(n.into?.colNames), n.query),
              `${n.objtype === 'OBJECT_MATVIEW' ? 'materialized view' : 'table'} ${displayRelation(rangeVarKey(n.into?.rel))}`,
            );
            return;
          case 'SelectStmt':
            // Inside PL/pgSQL, SELECT … INTO fills variables, not a new table.
            if (n.intoClause && !stmt.viaDo) definitions(ctx, stmt, outputColumns(loc, stmt, strings(n.intoClause.colNames), n), `table ${displayRelation(rangeVarKey(n.intoClause.rel))}`);
            return;
          case 'AlterTableStmt':
            alterTable(ctx, stmt);
            return;
          default:
            return;
        }
      },
    };
  },
});

/**
 * An occurrence whose range (a token scan, the costly part) is computed only when a duplicate is
 * reported: almost every statement has none.
 */
function occurrence(name: string, partial: boolean, range: () => Range): Occurrence {
  let cached: Range | undefined;
  return {
    name,
    partial,
    get range() {
      cached ??= range();
      return cached;
    },
  };
}

/** `ResTarget`s (SET targets, INSERT columns) with their name's range. */
function targets(loc: SqlStatement, stmt: SqlStatement, list: any[] | undefined): Occurrence[] {
  return (list ?? [])
    .map((t: any) => t.ResTarget)
    .filter((t: any) => t?.name)
    .map((t: any) => occurrence(t.name, (t.indirection ?? []).length > 0, () => tokenRangeAt(stmt, loc.at(t.location))));
}

/** Groups occurrences by name: the names given more than once (not only as parts, `a[1]`, `a[2]`). */
function duplicates(list: Occurrence[]): Occurrence[][] {
  const groups = new Map<string, Occurrence[]>();
  for (const o of list) {
    const g = groups.get(o.name) ?? [];
    g.push(o);
    groups.set(o.name, g);
  }
  const out: Occurrence[][] = [];
  for (const g of groups.values()) {
    // The first occurrence that clashes with an earlier one: two whole assignments, or a whole one and a part.
    const at = g.findIndex((o, i) => i > 0 && (!o.partial || g.slice(0, i).some((p) => !p.partial)));
    if (at > 0) out.push([g.find((p, i) => i < at && (!p.partial || !g[at].partial)) ?? g[0], g[at]]);
  }
  return out;
}

function assignments(ctx: Ctx, stmt: SqlStatement, list: Occurrence[], where: string): void {
  for (const [first, second] of duplicates(list)) {
    ctx.report({
      stmt,
      range: second.range,
      message: `Column \`${second.name}\` is assigned twice in \`${where}\`.`,
      why: `PostgreSQL rejects the statement ("multiple assignments to same column "${second.name}""), so the migration fails here${ctx.state.transaction.active ? ' and its transaction is rolled back' : ', after the statements before it have already been applied'}.`,
      remedy: `Keep the assignment to \`${second.name}\` you mean and delete the other.`,
      related: [{ range: first.range, message: `\`${first.name}\` is first assigned here.` }],
      properties: { column: second.name },
    });
  }
}

function columnList(ctx: Ctx, stmt: SqlStatement, list: Occurrence[], where: string): void {
  for (const [first, second] of duplicates(list)) {
    ctx.report({
      stmt,
      range: second.range,
      message: `Column \`${second.name}\` appears twice in ${where}.`,
      why: `PostgreSQL rejects the statement ("column "${second.name}" specified more than once"), so the migration fails here; had it been accepted, it would be unclear which of the two values is stored.`,
      remedy: `List \`${second.name}\` once, with the value you mean, and delete the other entry and its value.`,
      related: [{ range: first.range, message: `\`${first.name}\` is first listed here.` }],
      properties: { column: second.name },
    });
  }
}

function definitions(ctx: Ctx, stmt: SqlStatement, list: Occurrence[], what: string): void {
  for (const [first, second] of duplicates(list)) {
    ctx.report({
      stmt,
      range: second.range,
      message: `The ${what} would have two columns named \`${second.name}\`.`,
      why: `PostgreSQL rejects the statement ("column "${second.name}" specified more than once"), so the migration fails here.`,
      remedy: `Rename one of the two \`${second.name}\` columns (with an alias: \`… AS ${second.name}_2\`) or drop the one you do not need.`,
      related: [{ range: first.range, message: `The first \`${first.name}\` column.` }],
      properties: { column: second.name },
    });
  }
}

/**
 * The output column names of a query, as PostgreSQL derives them: the explicit column list first, then the
 * alias of each target, else the last name of a column reference or the name of a function call. Targets
 * whose name PostgreSQL would invent (`?column?`, casts, expressions) are left out rather than guessed.
 */
function outputColumns(loc: SqlStatement, stmt: SqlStatement, explicit: string[], query: any): Occurrence[] {
  let select = query?.SelectStmt ?? query;
  while (select && select.op && select.op !== 'SETOP_NONE') select = select.larg;
  const targetsList: any[] = (select?.targetList ?? []).map((t: any) => t.ResTarget).filter(Boolean);
  const out: Occurrence[] = [];
  // Explicit names (`CREATE VIEW v (a, b)`) have no location: find their tokens in order.
  let after = -1;
  explicit.forEach((name) => {
    const tok = identToken(stmt, name, after);
    if (tok) after = tok.start;
    out.push({ name, range: tok ? { start: tok.start, end: tok.end } : stmt.range, partial: false });
  });
  targetsList.slice(explicit.length).forEach((t) => {
    let name: string | undefined = t.name;
    if (!name && t.val?.ColumnRef) {
      const last = t.val.ColumnRef.fields?.[t.val.ColumnRef.fields.length - 1];
      name = last?.String?.sval;
    }
    if (!name && t.val?.FuncCall) name = strings(t.val.FuncCall.funcname).pop();
    if (!name) return;
    const start = loc.at(t.location);
    out.push(
      occurrence(name, false, () => {
        // Point at the alias when there is one (`2 AS total`), else at the start of the expression.
        const alias = t.name ? identToken(stmt, t.name, start - 1) : undefined;
        return alias ? { start: alias.start, end: alias.end } : tokenRangeAt(stmt, start);
      }),
    );
  });
  return out;
}

/** Sub-commands of one ALTER TABLE that act on the same column in ways that clash. */
function alterTable(ctx: Ctx, stmt: SqlStatement): void {
  const n = stmt.node;
  if (!n.relation) return;
  const cmds = alterCommands(n);
  // A clash needs two sub-commands: the sub-command ranges (a token scan) are computed only then.
  if (cmds.length < 2) return;
  const ranges = alterCommandRanges(stmt, cmds.length);
  const table = displayRelation(rangeVarKey(n.relation));
  const seen = new Map<string, { cmd: any; range: Range }>();
  cmds.forEach((cmd, i) => {
    const range = ranges[i] ?? stmt.range;
    const group = groupOf(cmd);
    if (!group) return;
    const column: string = cmd.subtype === 'AT_AddColumn' ? cmd.def?.ColumnDef?.colname : cmd.name;
    if (!column) return;
    const key = `${group}:${column}`;
    const earlier = seen.get(key);
    seen.set(key, { cmd, range });
    if (!earlier) return;
    const clash = describeClash(earlier.cmd, cmd, column, table);
    if (!clash) return;
    ctx.report({
      stmt,
      range,
      message: clash.message,
      why: clash.why,
      remedy: clash.remedy,
      related: [{ range: earlier.range, message: `The first sub-command on \`${column}\`.` }],
      properties: { table, column },
    });
  });
}

function groupOf(cmd: any): string | undefined {
  switch (cmd.subtype) {
    case 'AT_AlterColumnType':
      return 'type';
    case 'AT_ColumnDefault':
      return 'default';
    case 'AT_SetNotNull':
    case 'AT_DropNotNull':
      return 'nullability';
    case 'AT_AddColumn':
      return 'add';
    case 'AT_DropColumn':
      return 'drop';
    default:
      return undefined;
  }
}

function describeClash(first: any, second: any, column: string, table: string): { message: string; why: string; remedy: string } | undefined {
  switch (second.subtype) {
    case 'AT_AlterColumnType':
      return {
        message: `\`ALTER TABLE ${table}\` changes the type of \`${column}\` twice.`,
        why: `PostgreSQL rejects the statement ("cannot alter type of column "${column}" twice"), so the migration fails here.`,
        remedy: `Keep one \`ALTER COLUMN ${column} TYPE …\` with the final type.`,
      };
    case 'AT_AddColumn':
      if (second.missing_ok) return undefined;
      return {
        message: `\`ALTER TABLE ${table}\` adds column \`${column}\` twice.`,
        why: `PostgreSQL rejects the statement ("column "${column}" of relation "${table}" already exists"), so the migration fails here.`,
        remedy: `Keep one \`ADD COLUMN ${column}\` with the definition you mean.`,
      };
    case 'AT_DropColumn':
      if (second.missing_ok) return undefined;
      return {
        message: `\`ALTER TABLE ${table}\` drops column \`${column}\` twice.`,
        why: `PostgreSQL rejects the statement ("column "${column}" of relation "${table}" does not exist"), so the migration fails here.`,
        remedy: `Keep one \`DROP COLUMN ${column}\`.`,
      };
    case 'AT_ColumnDefault': {
      const firstSets = Boolean(first.def);
      const secondSets = Boolean(second.def);
      if (firstSets && secondSets) {
        return {
          message: `\`ALTER TABLE ${table}\` sets the default of \`${column}\` twice.`,
          why: 'PostgreSQL accepts it and keeps the last one silently: the first `SET DEFAULT` is dead code that a reader may take for the real default.',
          remedy: `Keep one \`ALTER COLUMN ${column} SET DEFAULT …\` with the default you mean.`,
        };
      }
      return {
        message: `\`ALTER TABLE ${table}\` both sets and drops the default of \`${column}\`.`,
        why: 'PostgreSQL runs the sub-commands of one ALTER TABLE in passes, all drops first, not in the order written: `DROP DEFAULT` runs before `SET DEFAULT` whichever comes first, so the column always ends up with the new default.',
        remedy: `Keep only the sub-command you mean: \`SET DEFAULT …\` or \`DROP DEFAULT\`.`,
      };
    }
    case 'AT_SetNotNull':
    case 'AT_DropNotNull':
      if (first.subtype === second.subtype) return undefined;
      return {
        message: `\`ALTER TABLE ${table}\` both sets and drops NOT NULL on \`${column}\`.`,
        why: 'PostgreSQL runs the sub-commands of one ALTER TABLE in passes, all drops first, not in the order written: `DROP NOT NULL` runs before `SET NOT NULL` whichever comes first, so the column always ends up NOT NULL (after a full scan to check it).',
        remedy: 'Keep only the sub-command you mean: `SET NOT NULL` or `DROP NOT NULL`.',
      };
    default:
      return undefined;
  }
}
