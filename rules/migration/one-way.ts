/** One-way doors: changes that lose data or cannot be undone by a down migration. */
import type { MigrationRule } from '../../src/core/rule.js';

export const oneWayRules: MigrationRule[] = [];
