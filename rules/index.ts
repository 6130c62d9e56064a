/** The registry: every rule Plumbline knows, in a stable order (family, then id). */
import type { Rule } from '../src/core/rule.js';
import invalidSuppression from './engine/invalid-suppression.js';
import replayError from './engine/replay-error.js';
import syntaxError from './engine/syntax-error.js';
import unusedSuppression from './engine/unused-suppression.js';
import { lockRules } from './migration/locks.js';
import { availabilityRules } from './migration/availability.js';
import { oneWayRules } from './migration/one-way.js';
import { hygieneRules } from './migration/hygiene.js';
import { schemaRules } from './schema/index.js';
import { codeRules } from './code/index.js';

const FAMILY_ORDER = ['engine', 'migration', 'schema', 'code'];

export const allRules: Rule[] = [
  syntaxError,
  invalidSuppression,
  unusedSuppression,
  replayError,
  ...lockRules,
  ...availabilityRules,
  ...oneWayRules,
  ...hygieneRules,
  ...schemaRules,
  ...codeRules,
].sort((a, b) => FAMILY_ORDER.indexOf(a.family) - FAMILY_ORDER.indexOf(b.family) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

export function ruleById(id: string): Rule | undefined {
  return allRules.find((r) => r.id === id);
}
