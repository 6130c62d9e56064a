import type { Catalog } from '../../src/catalog/catalog.js';
import { defineRule } from '../../src/core/rule.js';
import { alterCommands, columnConstraints, strings } from '../../src/sql/ast.js';
import type { SqlStatement, SqlToken } from '../../src/sql/parse.js';
import { displayRelation } from '../../src/rules/helpers.js';

/** NAMEDATALEN - 1: the longest identifier PostgreSQL keeps, in bytes. */
const MAX_BYTES = 63;

export default defineRule({
  id: 'identifier-too-long',
  family: 'migration',
  directions: ['up', 'down'],
  meta: {
    description: 'A name defined by the migration (table, column, index, constraint, view, type…) longer than 63 bytes of UTF-8.',
    rationale:
      'PostgreSQL silently truncates identifiers to 63 bytes. The catalog then holds a different name than the migration and the application use, so lookups by name miss it, and two long names that share their first 63 bytes collide.',
    remedy: 'Choose a name of at most 63 bytes (accented letters take two bytes, most emoji four).',
    severity: 'warning',
    precision: 'very-high',
    tags: ['naming', 'correctness'],
    recommended: true,
    fixable: 'safe',
    sources: {
      squawk: 'identifier-too-long',
    },
  },
  create(ctx) {
    return {
      '*'(stmt) {
        const defined = definedNames(stmt);
        // The parser already truncated long names to 63 bytes: only a name that long can have been cut,
        // and only then is the token scan (the costly part) needed.
        if (!defined.some((d) => Buffer.byteLength(d.name, 'utf8') > MAX_BYTES - 4)) return;
        // How many definitions carry each (truncated) name: that many long tokens spelling it are definitions,
        // in order; later tokens with the same name are references (`CREATE INDEX … ON <table>`).
        const wanted = new Map<string, number>();
        for (const d of defined) wanted.set(d.name, (wanted.get(d.name) ?? 0) + 1);
        const columns = new Set(defined.filter((d) => d.column).map((d) => d.name));
        const long: Array<{ token: SqlToken; value: string; truncated: string }> = [];
        for (const token of stmt.tokens) {
          if (token.kind !== 'IDENT') continue;
          const value = identifierValue(token.text);
          if (value === undefined || Buffer.byteLength(value, 'utf8') <= MAX_BYTES) continue;
          const truncated = truncate(value);
          const left = wanted.get(truncated) ?? 0;
          if (left === 0) continue;
          wanted.set(truncated, left - 1);
          long.push({ token, value, truncated });
        }
        const reported = new Set<string>();
        for (const { token, value, truncated } of long) {
          if (reported.has(value)) continue;
          reported.add(value);
          const bytes = Buffer.byteLength(value, 'utf8');
          const multibyte = bytes !== value.length;
          const twin = columns.has(truncated) ? long.find((l) => l.truncated === truncated && l.value !== value) : undefined;
          const existing = collision(stmt, truncated, ctx.state.catalog);
          const quoted = token.text.startsWith('"');
          const replacement = quoted ? `"${truncated.replace(/"/g, '""')}"` : truncated;
          ctx.report({
            stmt,
            range: { start: token.start, end: token.end },
            message: `\`${value}\` is ${bytes} bytes long${multibyte ? ' in UTF-8' : ''}: PostgreSQL silently truncates it to the first 63, \`${truncated}\`.`,
            why: [
              twin ? `It then names the same column as \`${twin.value}\`, and PostgreSQL rejects the statement ("column specified more than once").` : '',
              existing ? `That is already the name of ${existing}, so the statement fails with "already exists".` : '',
              'The catalog, error messages and pg_dump show only the truncated name: code or tools that look the object up by the full name (ORM schema diffs, `information_schema` queries, constraint names matched in error handling) never find it, and any other long name that shares the same first 63 bytes collides with it.',
            ]
              .filter(Boolean)
              .join(' '),
            remedy: `Rename it to at most 63 bytes${multibyte ? ' (non-ASCII letters count two bytes or more)' : ''}, ideally something shorter than \`${truncated}\` that still reads well.`,
            fix:
              quoted && token.text.slice(1, -1).includes('""')
                ? undefined
                : { description: `Write the name PostgreSQL will keep: \`${truncated}\``, safe: true, edits: [{ range: { start: token.start, end: token.end }, text: replacement }] },
            properties: { identifier: value, bytes },
          });
        }
      },
    };
  },
});

/** The identifier a token spells: quoted ones verbatim, unquoted ones folded to lower case (ASCII only, as PostgreSQL does). */
function identifierValue(text: string): string | undefined {
  if (text.startsWith('"')) return text.slice(1, -1).replace(/""/g, '"');
  if (/^u&/i.test(text)) return undefined;
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The first 63 bytes of a name, without splitting a character. */
function truncate(value: string): string {
  let bytes = 0;
  let out = '';
  for (const ch of value) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > MAX_BYTES) break;
    bytes += size;
    out += ch;
  }
  return out;
}

/**
 * An existing table, view, index or sequence that already has the truncated name, when the statement
 * creates a relation (they share one namespace per schema).
 */
function collision(stmt: SqlStatement, truncated: string, catalog: Catalog): string | undefined {
  const n = stmt.node;
  let schema: string | undefined;
  if (stmt.kind === 'CreateStmt' && n.relation?.relname === truncated && !n.if_not_exists) schema = n.relation.schemaname;
  else if (stmt.kind === 'IndexStmt' && n.idxname === truncated && !n.if_not_exists) schema = n.relation?.schemaname;
  else if (stmt.kind === 'ViewStmt' && n.view?.relname === truncated && !n.replace) schema = n.view.schemaname;
  else if (stmt.kind === 'CreateSeqStmt' && n.sequence?.relname === truncated && !n.if_not_exists) schema = n.sequence.schemaname;
  else return undefined;
  const key = `${schema ?? 'public'}.${truncated}`;
  const table = catalog.tables.get(key);
  if (table) return `the existing ${table.kind === 'table' ? 'table' : table.kind.replace('-', ' ')} \`${displayRelation(key)}\``;
  if (catalog.indexes.has(key)) return `the existing index \`${displayRelation(key)}\``;
  if (catalog.sequences.has(key)) return `the existing sequence \`${displayRelation(key)}\``;
  return undefined;
}

/** Names a statement creates (as the parser holds them: already truncated), in order. References are not included. */
function definedNames(stmt: SqlStatement): Array<{ name: string; column: boolean }> {
  const n = stmt.node;
  const out: Array<{ name: string; column: boolean }> = [];
  const add = (name: unknown, column = false) => {
    if (typeof name === 'string' && name !== '') out.push({ name, column });
  };
  const addConstraints = (list: any[]) => {
    for (const c of list) add(c.conname);
  };
  switch (stmt.kind) {
    case 'CreateStmt':
      add(n.relation?.relname);
      for (const elt of n.tableElts ?? []) {
        if (elt.ColumnDef) {
          add(elt.ColumnDef.colname, true);
          addConstraints(columnConstraints(elt.ColumnDef));
        } else if (elt.Constraint) add(elt.Constraint.conname);
      }
      break;
    case 'AlterTableStmt':
      for (const cmd of alterCommands(n)) {
        if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef) {
          add(cmd.def.ColumnDef.colname, true);
          addConstraints(columnConstraints(cmd.def.ColumnDef));
        }
        if (cmd.subtype === 'AT_AddConstraint') add(cmd.def?.Constraint?.conname);
      }
      break;
    case 'IndexStmt':
      add(n.idxname);
      break;
    case 'RenameStmt':
      add(n.newname);
      break;
    case 'ViewStmt':
      add(n.view?.relname);
      for (const a of strings(n.aliases)) add(a, true);
      break;
    case 'CreateTableAsStmt':
      add(n.into?.rel?.relname);
      for (const a of strings(n.into?.colNames)) add(a, true);
      break;
    case 'CreateSeqStmt':
      add(n.sequence?.relname);
      break;
    case 'CreateSchemaStmt':
      add(n.schemaname);
      break;
    case 'CreateEnumStmt':
      add(strings(n.typeName).pop());
      break;
    case 'CompositeTypeStmt':
      add(n.typevar?.relname);
      for (const c of n.coldeflist ?? []) add(c.ColumnDef?.colname, true);
      break;
    case 'CreateDomainStmt':
      add(strings(n.domainname).pop());
      break;
    case 'CreateFunctionStmt':
      add(strings(n.funcname).pop());
      break;
    case 'CreateTrigStmt':
      add(n.trigname);
      break;
    case 'CreatePolicyStmt':
      add(n.policy_name);
      break;
    default:
      break;
  }
  return out;
}
