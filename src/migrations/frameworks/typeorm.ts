/**
 * TypeORM migrations (`<timestamp>-<Name>.ts` classes implementing `MigrationInterface`): translated
 * by src/migrations/ts/tools/typeorm.ts, built by the shared TypeScript adapter (ts-tool.ts).
 */
import { typeormTool } from '../ts/tools/typeorm.js';
import { tsToolAdapter } from './ts-tool.js';

export const typeormAdapter = tsToolAdapter(typeormTool);
