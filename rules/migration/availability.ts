/** Availability: table rewrites, long scans, missing timeouts, locks held too long. */
import type { MigrationRule } from '../../src/core/rule.js';

export const availabilityRules: MigrationRule[] = [];
