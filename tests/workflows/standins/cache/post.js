const { fs, path, inp, lines, expand, root, safe, copy } = require('./common');
const key = process.env.STATE_CACHE_KEY || inp('key'), paths = lines(inp('path'));
if (process.env.STATE_CACHE_EXACT === 'true') { console.log(`[standin cache] exact hit on ${key}, not saving`); process.exit(0); }
const dst = path.join(root(), safe(key));
paths.forEach((p, i) => copy(expand(p), path.join(dst, String(i))));
console.log(`[standin cache] saved key=${key} -> ${dst}`);
