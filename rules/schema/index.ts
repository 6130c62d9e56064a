/** Schema rules: judged on the catalog after the last migration (see issue: schema analyzer). */
import type { SchemaRule } from '../../src/core/rule.js';

export const schemaRules: SchemaRule[] = [];
