/**
 * Retry plugins: whether the retries they enable wait between attempts. axios-retry retries 3 times by
 * default with no delay at all (its default `retryDelay` returns 0); `axiosRetry.exponentialDelay` grows
 * and adds jitter.
 */
import { ts } from 'ts-morph';
import { isFunctionLike, skipOuter } from '../resolve.js';
import { apiText, argsOf, hasOption, objectArg, optionNode, optionValue } from './helpers.js';
import type { CallFacts, LibraryEntry } from './types.js';

const axiosRetry: LibraryEntry = {
  id: 'axios-retry',
  modules: ['axios-retry'],
  calls: [
    {
      path: '{axios-retry,axios-retry.default,axios-retry.axiosRetry}',
      construct: false,
      describe: (site) => {
        const base: CallFacts = { kind: 'client', lib: 'axios-retry', api: apiText(site.call) };
        const args = argsOf(site.call);
        if (args.length < 2) return { ...base, retryOption: site.call, retryDelay: 'none' };
        const opts = objectArg(site, 1);
        if (!opts) return base;
        const retries = optionValue(opts, 'retries');
        if (retries && ts.isNumericLiteral(skipOuter(retries)) && Number((skipOuter(retries) as ts.NumericLiteral).text) === 0) return base;
        const delay = optionNode(opts, 'retryDelay');
        if (!delay) {
          // A spread may bring a retryDelay in: cannot tell.
          if (hasOption(site, opts, ['retryDelay']) === undefined) return base;
          return { ...base, retryOption: optionNode(opts, 'retries') ?? opts, retryDelay: 'none' };
        }
        const verdict = ts.isPropertyAssignment(delay) ? delayFunction(delay.initializer) : undefined;
        return verdict ? { ...base, retryOption: delay, retryDelay: verdict } : base;
      },
    },
  ],
};

/**
 * A `retryDelay` written inline: `0`, `() => 1000` (constant), `(n) => n * 1000` (grows, no jitter).
 * Library strategies (`exponentialDelay`, `linearDelay()`) and functions that call other code: not judged.
 */
function delayFunction(value: ts.Expression): CallFacts['retryDelay'] {
  const v = skipOuter(value);
  if (ts.isNumericLiteral(v)) return Number(v.text) === 0 ? 'none' : 'constant';
  if (!isFunctionLike(v) || !v.body) return undefined;
  let opaque = false;
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const callee = n.expression.getText();
      if (!/^Math\.\w+$/.test(callee)) opaque = true;
    }
    n.forEachChild(visit);
  };
  visit(v.body);
  if (opaque) return undefined;
  const text = v.body.getText();
  // Server-directed (`Retry-After`) or computed from the error: not judged.
  if (/retry-?after/i.test(text) || v.parameters.slice(1).some((p) => new RegExp(`\\b${p.name.getText()}\\b`).test(text))) return undefined;
  const param = v.parameters[0]?.name.getText();
  const grows = /\*\*|Math\.pow|<</.test(text) || (param !== undefined && new RegExp(`\\b${param}\\b`).test(text));
  const jitter = /Math\.random/.test(text);
  if (!grows) {
    const body = ts.isBlock(v.body) ? undefined : skipOuter(v.body as ts.Expression);
    return body && ts.isNumericLiteral(body) && Number(body.text) === 0 ? 'none' : 'constant';
  }
  return jitter ? undefined : 'no-jitter';
}

export const retryLibraries: LibraryEntry[] = [axiosRetry];
