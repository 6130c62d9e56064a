const { PGlite } = await import('@electric-sql/pglite');
const t1 = performance.now();
const db = await PGlite.create({ dataDir: process.argv[2] });
console.log('ready', (performance.now()-t1).toFixed(0));
const t2 = performance.now();
if (process.argv[3]) { const f = await db.dumpDataDir('none'); const buf = Buffer.from(await f.arrayBuffer()); (await import('fs')).writeFileSync(process.argv[3], buf); console.log('dump', buf.length, (performance.now()-t2).toFixed(0)); }
await db.close();
