/** Wording shared by the code rules: how an effect, a loop and a call chain read in a finding. */
import { ts } from 'ts-morph';
import type { CodePlace } from '../core/rule.js';
import type { Effect, Loop, LoopSite } from './effects.js';

/** "a query on `orders` (`pool.query`)", "an HTTP GET (`axios.get`)". */
export function describeEffect(e: Effect): string {
  const f = e.facts;
  const api = `\`${f.api}\``;
  switch (f.kind) {
    case 'db.read':
      return `a query${f.table ? ` on \`${f.table}\`` : ''} (${api})`;
    case 'db.write':
      return `${f.write === 'insert' ? 'an insert into' : f.write === 'delete' ? 'a delete from' : f.write === 'upsert' ? 'an upsert into' : 'an update of'} ${f.table ? `\`${f.table}\`` : 'the database'} (${api})`;
    case 'db.query':
      return `a database query (${api})`;
    case 'http':
      return `an HTTP ${f.method ?? ''} call (${api})`.replace('  ', ' ');
    case 'publish':
      return `a publish (${api})`;
    case 'payment':
      return `a payment call (${api})`;
    default:
      return api;
  }
}

export function loopWord(loop: Loop): string {
  switch (loop.kind) {
    case 'array-callback': {
      const callee = ts.isCallExpression(loop.node) && ts.isPropertyAccessExpression(loop.node.expression) ? loop.node.expression.name.text : 'map';
      return `\`.${callee}()\` callback`;
    }
    case 'for-of':
      return '`for…of` loop';
    case 'for-in':
      return '`for…in` loop';
    default:
      return `\`${loop.kind}\` loop`;
  }
}

/** The steps from a call site down to the effect: each call, then the effect itself. */
export function flowOf(e: Effect, from?: LoopSite): Array<CodePlace & { message: string }> {
  const steps: Array<CodePlace & { message: string }> = [];
  let started = from === undefined;
  for (const s of e.via) {
    if (!started && s.call === from?.site) started = true;
    if (!started) continue;
    steps.push({ node: s.call, file: s.file, message: `calls \`${calleeName(s.call)}\`` });
  }
  steps.push({ node: e.node, file: e.file, message: describeEffect(e) });
  return steps;
}

export function calleeName(call: ts.CallExpression | ts.NewExpression): string {
  const t = call.expression.getText().replace(/\s+/g, '').replace(/^this\./, '');
  return t.length > 50 ? `${t.slice(0, 47)}…` : t;
}
