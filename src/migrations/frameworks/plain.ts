/**
 * Plain folders of `.sql` files: the fallback when no framework layout matches. Each folder is one
 * set, its files in natural order (`2_x.sql` before `10_x.sql`). Nothing is known about the runner,
 * so a file runs in a transaction only when the configuration says so (`assumeInTransaction`, or
 * `transactional` on the folder).
 */
import path from 'node:path';
import type { Migration, MigrationSet } from '../model.js';
import { byDirectory, type Candidate, type DiscoverContext, type FrameworkAdapter, isSql, naturalCompare, script, setRoot, whole } from './common.js';

export interface PlainOptions {
  assumeInTransaction?: boolean;
}

export function plainAdapter(options: PlainOptions): FrameworkAdapter {
  return {
    id: 'plain',
    detect(pool) {
      const sql = pool.filter(isSql);
      return [...byDirectory(sql)].map(([dir, files]) => ({ framework: 'plain', root: dir, files, detectedBy: 'a folder of .sql files that matches no framework layout' }));
    },
    build(candidate, ctx) {
      // A configured plain folder may have subfolders: each folder is its own set.
      const sets: MigrationSet[] = [];
      for (const [dir, files] of [...byDirectory(candidate.files.filter(isSql))].sort(([a], [b]) => naturalCompare(a, b))) {
        sets.push(buildFolder({ ...candidate, root: dir, files }, ctx, options));
      }
      return sets;
    },
  };
}

function buildFolder(candidate: Candidate, ctx: DiscoverContext, options: PlainOptions): MigrationSet {
  const wrapped = options.assumeInTransaction ?? false;
  const migrations: Migration[] = [];
  for (const f of [...candidate.files].sort((a, b) => naturalCompare(path.basename(a), path.basename(b)))) {
    const file = ctx.read(f);
    if (!file) continue;
    const name = path.basename(f, path.extname(f));
    migrations.push({
      id: file.relPath,
      version: name,
      name,
      framework: 'plain',
      kind: 'versioned',
      up: script(
        file,
        whole(file),
        wrapped,
        wrapped ? 'the configuration says each migration runs in a transaction (assumeInTransaction)' : 'no framework wraps plain SQL files in a transaction',
      ),
      downSupported: false,
    });
  }
  return { root: setRoot(ctx, candidate.root), framework: 'plain', migrations, detectedBy: candidate.detectedBy };
}
