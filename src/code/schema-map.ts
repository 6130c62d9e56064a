/**
 * ORM names → database names, so that an ORM call in code resolves to a table of the catalog:
 * Prisma models and fields (`@@map`, `@map` in schema.prisma) and Drizzle tables and columns
 * (`pgTable('orders', { userId: integer('user_id') })`).
 */
import { readFileSync } from 'node:fs';
import { ts } from 'ts-morph';
import type { Resolver } from './resolve.js';
import { propertyName, skipOuter } from './resolve.js';

export interface ModelMapping {
  /** The table name in the database. */
  table: string;
  /** Field name → column name (fields without `@map` keep their name). */
  columns: Map<string, string>;
}

/** Models of Prisma schema files, by the client accessor name (`prisma.orderItem` → model OrderItem). */
export class PrismaSchema {
  readonly models = new Map<string, ModelMapping>();

  static fromFiles(files: string[]): PrismaSchema {
    const schema = new PrismaSchema();
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch {
        continue;
      }
      schema.addText(text);
    }
    return schema;
  }

  addText(text: string): void {
    const lines = text.replace(/\/\/.*$/gm, '').split(/\r?\n/);
    let model: { name: string; mapping: ModelMapping } | undefined;
    for (const raw of lines) {
      const line = raw.trim();
      const open = /^model\s+(\w+)\s*\{/.exec(line);
      if (open) {
        model = { name: open[1], mapping: { table: open[1], columns: new Map() } };
        continue;
      }
      if (!model) continue;
      if (line.startsWith('}')) {
        this.models.set(accessorOf(model.name), model.mapping);
        model = undefined;
        continue;
      }
      const tableMap = /^@@map\(\s*(?:name:\s*)?"([^"]+)"/.exec(line);
      if (tableMap) {
        model.mapping.table = tableMap[1];
        continue;
      }
      const field = /^(\w+)\s+[\w[\]?]+(.*)$/.exec(line);
      if (field && !line.startsWith('@@')) {
        const mapped = /@map\(\s*(?:name:\s*)?"([^"]+)"/.exec(field[2]);
        // Relation fields hold no column; they carry @relation and a model type, harmless to keep.
        model.mapping.columns.set(field[1], mapped ? mapped[1] : field[1]);
      }
    }
  }

  /** The mapping of a client accessor (`order`, `orderItem`). */
  model(accessor: string): ModelMapping | undefined {
    return this.models.get(accessor);
  }
}

/** Prisma Client names model delegates in lowerCamelCase: `OrderItem` → `orderItem`. */
function accessorOf(model: string): string {
  return model.charAt(0).toLowerCase() + model.slice(1);
}

const DRIZZLE_TABLE_FACTORIES = new Set(['pgTable', 'pgTableCreator', 'mysqlTable', 'sqliteTable']);

/**
 * The Drizzle table an expression refers to (`orders`, `schema.orders`): its SQL name and column names,
 * read from its `pgTable('orders', { … })` declaration wherever it is.
 */
export function drizzleTable(resolver: Resolver, expr: ts.Expression | undefined): ModelMapping | undefined {
  if (!expr) return undefined;
  const call = declarationCall(resolver, skipOuter(expr));
  if (!call) return undefined;
  const name = call.arguments[0];
  if (!name || !ts.isStringLiteralLike(name)) return undefined;
  const columns = new Map<string, string>();
  const shape = call.arguments[1] && skipOuter(call.arguments[1]);
  if (shape && ts.isObjectLiteralExpression(shape)) {
    for (const p of shape.properties) {
      if (!ts.isPropertyAssignment(p) || !p.name) continue;
      const key = propertyName(p.name);
      if (!key) continue;
      columns.set(key, columnNameOf(p.initializer) ?? key);
    }
  }
  return { table: name.text, columns };
}

/** Finds `pgTable(…)` behind an identifier or a property access (a `schema` namespace import). */
function declarationCall(resolver: Resolver, e: ts.Expression): ts.CallExpression | undefined {
  if (ts.isCallExpression(e)) return isTableFactory(e) ? e : undefined;
  let decl: ts.Node | undefined;
  if (ts.isIdentifier(e)) decl = resolver.declarationOf(e);
  if (!decl || ts.isImportSpecifier(decl) || ts.isNamespaceImport(decl) || ts.isImportClause(decl) || ts.isPropertyAccessExpression(e)) {
    // Imported from another file: ask the resolver for the exported value's declaration.
    const value = resolver.valueOf(e);
    if (value?.kind === 'ext' && value.creation && ts.isCallExpression(value.creation) && isTableFactory(value.creation)) return value.creation;
    return undefined;
  }
  if (ts.isVariableDeclaration(decl) && decl.initializer) {
    const init = skipOuter(decl.initializer);
    if (ts.isCallExpression(init) && isTableFactory(init)) return init;
  }
  return undefined;
}

function isTableFactory(call: ts.CallExpression): boolean {
  const callee = skipOuter(call.expression);
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isCallExpression(callee) ? 'pgTableCreator' : '';
  return DRIZZLE_TABLE_FACTORIES.has(name);
}

/** `integer('user_id').notNull()` → user_id (the first string argument of the innermost call). */
function columnNameOf(init: ts.Expression): string | undefined {
  let e: ts.Expression = skipOuter(init);
  while (ts.isCallExpression(e)) {
    const callee = skipOuter(e.expression);
    if (ts.isPropertyAccessExpression(callee) && ts.isCallExpression(skipOuter(callee.expression))) {
      e = skipOuter(callee.expression);
      continue;
    }
    const first = e.arguments[0];
    return first && ts.isStringLiteralLike(first) ? first.text : undefined;
  }
  return undefined;
}
