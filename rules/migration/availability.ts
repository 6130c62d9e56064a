/** Availability: table rewrites, long scans, missing timeouts, locks held too long. */
import type { MigrationRule } from '../../src/core/rule.js';
import noBlockingBackfill from './no-blocking-backfill.js';
import noDomainCheck from './no-domain-check.js';
import noExclusionConstraint from './no-exclusion-constraint.js';
import noNonConcurrentRefresh from './no-non-concurrent-refresh.js';
import noRequiredColumnWithoutDefault from './no-required-column-without-default.js';
import noRewritingTypeChange from './no-rewriting-type-change.js';
import noTableRewriteDefault from './no-table-rewrite-default.js';
import noVacuumFull from './no-vacuum-full.js';
import noWorkAfterExclusiveLock from './no-work-after-exclusive-lock.js';
import requireLockTimeout from './require-lock-timeout.js';
import requireStatementTimeout from './require-statement-timeout.js';

export const availabilityRules: MigrationRule[] = [
  noRequiredColumnWithoutDefault,
  noTableRewriteDefault,
  noRewritingTypeChange,
  requireLockTimeout,
  requireStatementTimeout,
  noWorkAfterExclusiveLock,
  noBlockingBackfill,
  noNonConcurrentRefresh,
  noVacuumFull,
  noDomainCheck,
  noExclusionConstraint,
];
