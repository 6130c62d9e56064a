/** Transaction hygiene and style. */
import type { MigrationRule } from '../../src/core/rule.js';
import identifierTooLong from './identifier-too-long.js';
import noDuplicateColumnAssignment from './no-duplicate-column-assignment.js';
import noUncommittedTransaction from './no-uncommitted-transaction.js';
import preferBigintId from './prefer-bigint-id.js';
import preferBigintOverSmallint from './prefer-bigint-over-smallint.js';
import preferIdentity from './prefer-identity.js';
import preferJsonb from './prefer-jsonb.js';
import preferRobustStatements from './prefer-robust-statements.js';
import preferText from './prefer-text.js';
import preferTimestamptz from './prefer-timestamptz.js';
import transactionNesting from './transaction-nesting.js';

export const hygieneRules: MigrationRule[] = [
  transactionNesting,
  noUncommittedTransaction,
  preferRobustStatements,
  preferBigintId,
  preferBigintOverSmallint,
  preferIdentity,
  preferText,
  preferTimestamptz,
  preferJsonb,
  identifierTooLong,
  noDuplicateColumnAssignment,
];
