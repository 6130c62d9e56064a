/** One-way doors: changes that lose data or cannot be undone by a down migration. */
import type { MigrationRule } from '../../src/core/rule.js';
import downReversesUp from './down-reverses-up.js';
import noDropColumn from './no-drop-column.js';
import noDropNotNull from './no-drop-not-null.js';
import noDropSchema from './no-drop-schema.js';
import noDropTable from './no-drop-table.js';
import noEnumAddValueInTransaction from './no-enum-add-value-in-transaction.js';
import noNarrowingTypeChange from './no-narrowing-type-change.js';
import noRename from './no-rename.js';
import noTruncate from './no-truncate.js';
import requireDownMigration from './require-down-migration.js';

export const oneWayRules: MigrationRule[] = [
  noDropTable,
  noDropColumn,
  noDropSchema,
  noTruncate,
  noRename,
  noDropNotNull,
  noEnumAddValueInTransaction,
  noNarrowingTypeChange,
  requireDownMigration,
  downReversesUp,
];
