import type { Range, SourceFile } from '../core/source.js';

export type FrameworkId =
  | 'plain'
  | 'flyway'
  | 'golang-migrate'
  | 'dbmate'
  | 'goose'
  | 'prisma'
  | 'drizzle'
  | 'diesel'
  | 'sqitch'
  | 'typeorm'
  | 'knex'
  | 'node-pg-migrate'
  | 'kysely'
  | 'sequelize'
  | 'mikro-orm'
  | 'sql-template';

export const FRAMEWORKS: FrameworkId[] = [
  'plain',
  'flyway',
  'golang-migrate',
  'dbmate',
  'goose',
  'prisma',
  'drizzle',
  'diesel',
  'sqitch',
  'typeorm',
  'knex',
  'node-pg-migrate',
  'kysely',
  'sequelize',
  'mikro-orm',
  'sql-template',
];

/** One direction of a migration: the SQL regions of a file and how the framework runs them. */
export interface MigrationScript {
  /** For TypeScript migrations, a `MappedSourceFile`: generated SQL whose positions are the TypeScript file's. */
  file: SourceFile;
  /** Regions of `file.text` that hold this script's SQL (a dbmate file holds up and down sections). */
  sections: Range[];
  /** True when the framework runs the whole script inside one transaction it opens itself. */
  wrappedInTransaction: boolean;
  /** Why `wrappedInTransaction` has its value: shown in docs and debug output. */
  transactionReason: string;
}

export interface Migration {
  /** Unique within a run: `<set root>/<version>_<name>` or the file path for plain folders. */
  id: string;
  version: string;
  name: string;
  framework: FrameworkId;
  /** `repeatable` (Flyway R__) migrations re-run whenever they change; `versioned` run once. */
  kind: 'versioned' | 'repeatable';
  up: MigrationScript;
  down?: MigrationScript;
  /** The framework has a down / undo / revert step, so a missing one is a gap. */
  downSupported: boolean;
}

export interface MigrationSet {
  /** Folder of the set, repository-relative with forward slashes ('.' for the root). */
  root: string;
  framework: FrameworkId;
  migrations: Migration[];
  /** What identified the framework (`sqitch.plan`, `configuration`, `V<version>__<description>.sql file names`…): for debug output and docs. */
  detectedBy?: string;
}
