/**
 * The TypeScript migration tools, most specific first: a file is claimed by the first tool whose text
 * test and shape check it passes. Class-based tools (TypeORM, MikroORM) come first; Kysely and
 * Sequelize before node-pg-migrate and Knex, whose `up(x)` files look alike and are told apart by the
 * calls made on `x`; `sql` template files last.
 */
import type { FrameworkId } from '../../model.js';
import type { ToolSpec } from '../tool.js';
import { knexTool } from './knex.js';
import { kyselyTool } from './kysely.js';
import { mikroOrmTool } from './mikro-orm.js';
import { nodePgMigrateTool } from './node-pg-migrate.js';
import { sequelizeTool } from './sequelize.js';
import { sqlTemplateTool } from './sql-template.js';
import { typeormTool } from './typeorm.js';

export const TS_TOOLS: ToolSpec[] = [typeormTool, mikroOrmTool, kyselyTool, sequelizeTool, nodePgMigrateTool, knexTool, sqlTemplateTool];

export const TS_FRAMEWORKS: ReadonlySet<FrameworkId> = new Set(TS_TOOLS.map((t) => t.id));
