import { readFileSync } from 'fs';
const { PGlite } = await import('@electric-sql/pglite');
const t1 = performance.now(); const c1 = process.cpuUsage();
const db = await PGlite.create({ loadDataDir: new Blob([readFileSync(process.argv[2])]) });
await db.query('select 1');
const c = process.cpuUsage(c1);
console.log('ready', (performance.now()-t1).toFixed(0), 'cpu', ((c.user+c.system)/1000).toFixed(0));
await db.close();
