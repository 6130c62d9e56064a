/**
 * Every classified call of the target files, once: the own effects of every function (`via` empty) and
 * the calls made by top-level code (module scope, class property initializers), where clients are
 * usually built (`const pool = new Pool(…)`, `export const api = axios.create(…)`).
 *
 * For rules about a call itself (its timeout, its idempotency key) rather than about a flow.
 */
import { ts } from 'ts-morph';
import type { CodeAnalysis } from './analyze.js';
import { outerLinkClassified, type Effect } from './effects.js';
import { isFunctionLike } from './resolve.js';

export function ownEffects(analysis: CodeAnalysis): Effect[] {
  return analysis.memo('own-effects', () => collectOwnEffects(analysis));
}

function collectOwnEffects(analysis: CodeAnalysis): Effect[] {
  const seen = new Set<ts.Node>();
  const out: Effect[] = [];
  for (const { fn } of analysis.functions()) {
    for (const e of analysis.summary(fn).effects) {
      if (e.via.length > 0 || seen.has(e.node)) continue;
      seen.add(e.node);
      out.push(e);
    }
  }
  for (const file of analysis.targets()) {
    const visit = (n: ts.Node): void => {
      // Function bodies are covered by their summaries.
      if (isFunctionLike(n)) return;
      if ((ts.isCallExpression(n) || ts.isNewExpression(n) || ts.isTaggedTemplateExpression(n)) && !seen.has(n)) {
        const facts = analysis.catalogue.classify(n, file);
        if (facts && !outerLinkClassified(analysis.catalogue, n, file, facts.lib)) {
          seen.add(n);
          out.push({ facts, node: n, file, fn: file.ast, loops: [], via: [] });
        }
      }
      n.forEachChild(visit);
    };
    file.ast.forEachChild(visit);
  }
  return out;
}
