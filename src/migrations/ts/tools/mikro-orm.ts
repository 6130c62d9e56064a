/**
 * MikroORM: `export class Migration20240101120000 extends Migration { async up() { this.addSql('…') } }`.
 *
 * `this.addSql('…')` and `this.execute('…')` are copied as written (MikroORM's generator writes every
 * statement with `addSql`). A query builder passed to `addSql` is not translated (a note says so).
 *
 * Order: by migration name (the class and file name carry the timestamp). Transactions: "by default,
 * each migration will be executed inside a transaction, and all of them will be wrapped in one master
 * transaction" (MikroORM docs); a class that overrides `isTransactional()` to return `false` runs
 * outside it. `migrations.transactional: false` in the ORM configuration is not visible from the file:
 * declare the folder with `transactional: false` in plumbline.config.json.
 */
import { ts } from 'ts-morph';
import { methodName, receiverOf, shorten } from '../extract.js';
import { unwrap } from '../literals.js';
import type { ToolFile, ToolSpec } from '../tool.js';
import { verbatim } from './shared.js';

function isTransactional(file: ToolFile): boolean | undefined {
  const cls = file.shape.cls;
  const m = cls?.members.find((x): x is ts.MethodDeclaration => ts.isMethodDeclaration(x) && x.name.getText(file.sf) === 'isTransactional');
  if (!m?.body) return undefined;
  const ret = m.body.statements.find(ts.isReturnStatement)?.expression;
  const k = ret ? unwrap(ret).kind : undefined;
  return k === ts.SyntaxKind.FalseKeyword ? false : k === ts.SyntaxKind.TrueKeyword ? true : undefined;
}

export const mikroOrmTool: ToolSpec = {
  id: 'mikro-orm',
  name: 'MikroORM',
  detectedBy: 'MikroORM migration classes (extends Migration, this.addSql)',
  matches: (text) => /extends\s+Migration\b/.test(text) && /\bthis\s*\.\s*(?:addSql|execute)\s*\(|@mikro-orm\/migrations/.test(text),
  confirm: (file) => {
    const cls = file.shape.cls;
    return !!cls && !!cls.heritageClauses?.some((h) => h.types.some((t) => /(^|\.)Migration$/.test(t.expression.getText(file.sf))));
  },
  translator(_file, _fn, cx) {
    cx.receivers.add('this');
    return {
      call(node, c) {
        if (!ts.isCallExpression(node)) return false;
        const recv = receiverOf(node);
        const name = methodName(node);
        if (!recv || recv.kind !== ts.SyntaxKind.ThisKeyword || (name !== 'addSql' && name !== 'execute')) return false;
        c.recognised++;
        const arg = node.arguments[0];
        if (arg && !ts.isStringLiteralLike(unwrap(arg)) && !ts.isTemplateExpression(unwrap(arg)) && !ts.isIdentifier(unwrap(arg)) && !ts.isBinaryExpression(unwrap(arg))) {
          c.unsupported(arg, `\`this.${name}(${shorten(arg.getText(c.sf), 30)})\` passes a query builder, which is not translated; the statement was not checked`);
          return true;
        }
        return verbatim(arg, node, c);
      },
    };
  },
  transaction(file) {
    if (isTransactional(file) === false) return { wrapped: false, reason: 'the migration overrides `isTransactional()` to return false, so MikroORM runs it outside a transaction' };
    return { wrapped: true, reason: 'MikroORM runs each migration in a transaction (all pending ones inside one master transaction) by default' };
  },
  version: (file) => /(\d{8,})/.exec(file.stem)?.[1] ?? file.stem,
  compare: (a, b) => (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0),
};
