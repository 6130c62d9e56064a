/** Schema rules: judged on the catalog after the last migration (see issue: schema analyzer). */
import type { SchemaRule } from '../../src/core/rule.js';
import noRedundantIndex from './no-redundant-index.js';
import requireFkIndex from './require-fk-index.js';
import requirePrimaryKey from './require-primary-key.js';
import requireUniqueIdempotencyKey from './require-unique-idempotency-key.js';

export const schemaRules: SchemaRule[] = [requirePrimaryKey, requireFkIndex, noRedundantIndex, requireUniqueIdempotencyKey];
