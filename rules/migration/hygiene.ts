/** Transaction hygiene and style. */
import type { MigrationRule } from '../../src/core/rule.js';

export const hygieneRules: MigrationRule[] = [];
