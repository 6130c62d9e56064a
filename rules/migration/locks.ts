/** Locks and availability: statements that block traffic on tables that already have it. */
import type { MigrationRule } from '../../src/core/rule.js';
import requireConcurrentIndex from './require-concurrent-index.js';

export const lockRules: MigrationRule[] = [requireConcurrentIndex];
