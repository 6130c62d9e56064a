/**
 * Sequelize migrations: translated by src/migrations/ts/tools/sequelize.ts, built by the shared TypeScript
 * adapter (ts-tool.ts).
 */
import { sequelizeTool } from '../ts/tools/sequelize.js';
import { tsToolAdapter } from './ts-tool.js';

export const sequelizeAdapter = tsToolAdapter(sequelizeTool);
