// ESLint flat config used by bench/run.js as the TypeScript peer of Plumbline: typescript-eslint's
// `recommended` rules, parsed without type information (no projectService), on every .ts file of the
// generated tree (bench/.ts-corpus). Not a lint config for this repository.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig({
  files: ['**/*.ts'],
  extends: [tseslint.configs.recommended],
});
