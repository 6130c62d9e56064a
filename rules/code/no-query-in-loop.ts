import { ts } from 'ts-morph';
import { defineRule } from '../../src/core/rule.js';
import { dependsOnIteration, isWithin, type Effect, type LoopSite } from '../../src/code/effects.js';
import { describeEffect, flowOf, loopWord } from '../../src/code/report.js';

/** Effects that cost a round trip each: the database and other services. */
function isRoundTrip(e: Effect): boolean {
  return e.facts.kind === 'db.read' || e.facts.kind === 'db.write' || e.facts.kind === 'db.query' || e.facts.kind === 'http';
}

export default defineRule<{ maxConstantIterations: number }>({
  id: 'no-query-in-loop',
  family: 'code',
  meta: {
    description: 'A database query or HTTP call runs once per item of a loop (N+1), also through helper functions and `Promise.all(items.map(…))`.',
    rationale: 'Each iteration pays a network round trip and a query plan: a page of 100 items becomes 101 queries, latency grows with the data, and under load the pool runs dry.',
    remedy: 'Fetch all items in one query (`WHERE id = ANY($1)`, `findMany({ where: { id: { in: ids } } })`, `whereIn`), or batch through a DataLoader.',
    severity: 'warning',
    precision: 'high',
    tags: ['performance', 'n+1'],
    recommended: true,
    sources: {},
    options: {
      type: 'object',
      properties: { maxConstantIterations: { type: 'integer', minimum: 0, description: 'Loops over a literal list or a literal bound up to this size are fine.' } },
      additionalProperties: false,
    },
    defaultOptions: { maxConstantIterations: 10 },
  },
  check(ctx) {
    const max = ctx.options.maxConstantIterations ?? 10;
    const { analysis } = ctx;
    const reported = new Set<ts.Node>();
    for (const { fn } of analysis.functions()) {
      for (const effect of analysis.summary(fn).effects) {
        if (!isRoundTrip(effect) || effect.facts.batched === 'always') continue;
        // Only the loops of this function: loops inside callees are judged from their own function.
        const inHere = effect.loops.filter((ls) => isWithin(ls.loop.node, fn));
        for (const ls of inHere) {
          if (!isPerItem(ls, effect, max, analysis.resolver)) continue;
          if (reported.has(ls.site)) continue;
          reported.add(ls.site);
          const chain = flowOf(effect, ls);
          const through = ls.site !== effect.node;
          ctx.report({
            node: ls.site,
            file: ls.loop.file,
            message: through
              ? `\`${callText(ls.site)}\` runs ${describeEffect(effect)} once per iteration of this ${loopWord(ls.loop)} (through ${chain.length - 1} call${chain.length > 2 ? 's' : ''}).`
              : `${capital(describeEffect(effect))} runs once per iteration of this ${loopWord(ls.loop)}.`,
            why: 'One round trip per item (N+1): the cost grows with the data, each call waits on the network, and a large page exhausts the connection pool.',
            remedy: remedyFor(effect),
            related: [
              { node: ls.loop.node, file: ls.loop.file, message: `the ${loopWord(ls.loop)}` },
              ...(through ? [{ node: effect.node, file: effect.file, message: `the ${effect.facts.kind === 'http' ? 'call' : 'query'} (\`${effect.facts.api}\`)` }] : []),
            ],
            flow: chain,
            properties: { effect: effect.facts.kind, api: effect.facts.api, ...(effect.facts.table ? { table: effect.facts.table } : {}) },
          });
        }
      }
    }
  },
});

function isPerItem(ls: LoopSite, e: Effect, max: number, resolver: Parameters<typeof dependsOnIteration>[2]): boolean {
  const { loop } = ls;
  if (loop.retry) return false;
  if (loop.constantBound !== undefined && loop.constantBound <= max) return false;
  // while/do loops: pagination and polling ask for the next page, not one item each: not judged.
  if (loop.kind === 'while' || loop.kind === 'do') return false;
  // Prisma batches findUnique calls issued in the same tick.
  if (e.facts.batched === 'same-tick' && loop.concurrent) return false;
  // `for (const batch of chunk(rows, 500)) await insertMany(batch)`: one round trip per batch is the fix, not the hazard.
  if (isChunkLoop(loop)) return false;
  // The call inside the loop (the query itself, or the helper call leading to it) must use the item.
  return dependsOnIteration(ls.site, loop, resolver);
}

const CHUNKING_CALL = /\b(?:chunk|chunks|chunked|batch|batches|batched|partition|splitEvery|inGroupsOf|paginate)\w*\s*\(/i;
const CHUNK_NAME = /^(?:batch|chunk|page|slice|group|part)(?:es|s)?$|(?:Batch|Chunk|Page)$/;

/** A loop over slices of a list (`chunk(rows, 500)`, `for (const batch of batches)`): each iteration is already a batch. */
function isChunkLoop(loop: LoopSite['loop']): boolean {
  const n = loop.node;
  if (ts.isForOfStatement(n)) {
    if (CHUNKING_CALL.test(n.expression.getText())) return true;
    const init = n.initializer;
    const decl = ts.isVariableDeclarationList(init) ? init.declarations[0] : undefined;
    return decl !== undefined && ts.isIdentifier(decl.name) && CHUNK_NAME.test(decl.name.text);
  }
  if (loop.kind === 'array-callback' && ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
    if (CHUNKING_CALL.test(n.expression.expression.getText())) return true;
    const cb = n.arguments[0];
    const param = cb && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb)) ? cb.parameters[0] : undefined;
    return param !== undefined && ts.isIdentifier(param.name) && CHUNK_NAME.test(param.name.text);
  }
  return false;
}

function callText(n: ts.Node): string {
  const call = ts.isCallExpression(n) || ts.isNewExpression(n) ? n.expression.getText() : n.getText();
  const t = call.replace(/\s+/g, '').replace(/^this\./, '');
  return t.length > 50 ? `${t.slice(0, 47)}…` : t;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function remedyFor(e: Effect): string {
  if (e.facts.kind === 'http') return 'Call a batch endpoint once with all the ids, or fetch concurrently with a bounded pool (p-limit) if the service has no batch API — and cache what repeats.';
  if (e.facts.kind === 'db.write') return 'Write all rows in one statement (`INSERT … SELECT unnest($1::…[])`, `createMany`, a multi-row `insert([...])`), inside one transaction.';
  return 'Load all items in one query before the loop (`WHERE id = ANY($1)`, `{ id: { in: ids } }`, `whereIn`) and look them up in a Map, or batch through a DataLoader.';
}
