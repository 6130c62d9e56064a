/**
 * MikroORM migrations: translated by src/migrations/ts/tools/mikro-orm.ts, built by the shared TypeScript
 * adapter (ts-tool.ts).
 */
import { mikroOrmTool } from '../ts/tools/mikro-orm.js';
import { tsToolAdapter } from './ts-tool.js';

export const mikroOrmAdapter = tsToolAdapter(mikroOrmTool);
