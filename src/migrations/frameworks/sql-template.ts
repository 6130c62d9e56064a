/**
 * slonik / postgres.js sql template migrations: translated by src/migrations/ts/tools/sql-template.ts, built by the shared TypeScript
 * adapter (ts-tool.ts).
 */
import { sqlTemplateTool } from '../ts/tools/sql-template.js';
import { tsToolAdapter } from './ts-tool.js';

export const sqlTemplateAdapter = tsToolAdapter(sqlTemplateTool);
