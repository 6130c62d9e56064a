const { PGlite } = await import('@electric-sql/pglite');
const t1 = performance.now();
const ts = () => (performance.now()-t1).toFixed(0).padStart(6);
const db = await PGlite.create({ relaxedDurability: true, onStderr: (s)=>{console.log(ts(),'E',s.slice(0,150)); return true}, onStdout: (s)=>{console.log(ts(),'O',s.slice(0,150)); return true} });
console.log(ts(), 'ready');
await db.close();
