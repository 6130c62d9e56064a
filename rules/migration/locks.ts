/** Locks and availability: statements that block traffic on tables that already have it. */
import type { MigrationRule } from '../../src/core/rule.js';
import noConcurrentInTransaction from './no-concurrent-in-transaction.js';
import noSetNotNullScan from './no-set-not-null-scan.js';
import noValidateInSameTransaction from './no-validate-in-same-transaction.js';
import requireConcurrentDetach from './require-concurrent-detach.js';
import requireConcurrentIndex from './require-concurrent-index.js';
import requireConcurrentIndexDrop from './require-concurrent-index-drop.js';
import requireConcurrentReindex from './require-concurrent-reindex.js';
import requireNotValid from './require-not-valid.js';
import requireUniqueUsingIndex from './require-unique-using-index.js';

export const lockRules: MigrationRule[] = [
  requireConcurrentIndex,
  requireConcurrentIndexDrop,
  requireConcurrentReindex,
  requireConcurrentDetach,
  noConcurrentInTransaction,
  requireNotValid,
  noValidateInSameTransaction,
  requireUniqueUsingIndex,
  noSetNotNullScan,
];
