/**
 * The adapters of the TypeScript migration tools. Which tool a file belongs to is decided once, by
 * `classify` in ts-tool.ts (order: src/migrations/ts/tools/index.ts); each adapter takes its own files.
 */
import type { FrameworkAdapter } from './common.js';
import { knexAdapter } from './knex.js';
import { kyselyAdapter } from './kysely.js';
import { mikroOrmAdapter } from './mikro-orm.js';
import { nodePgMigrateAdapter } from './node-pg-migrate.js';
import { sequelizeAdapter } from './sequelize.js';
import { sqlTemplateAdapter } from './sql-template.js';
import { typeormAdapter } from './typeorm.js';

export const TS_ADAPTERS: FrameworkAdapter[] = [typeormAdapter, mikroOrmAdapter, kyselyAdapter, sequelizeAdapter, nodePgMigrateAdapter, knexAdapter, sqlTemplateAdapter];
