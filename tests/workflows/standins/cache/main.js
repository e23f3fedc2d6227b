const { fs, path, inp, lines, expand, root, safe, copy } = require('./common');
const key = inp('key'), paths = lines(inp('path')), rk = lines(inp('restore-keys'));
const out = (k, v) => fs.appendFileSync(process.env.GITHUB_OUTPUT, `${k}=${v}\n`);
const state = (k, v) => fs.appendFileSync(process.env.GITHUB_STATE, `${k}=${v}\n`);
let hit = null, exact = false;
const dirs = fs.existsSync(root()) ? fs.readdirSync(root()) : [];
if (dirs.includes(safe(key))) { hit = safe(key); exact = true; }
// like GitHub: the most recently saved cache whose key starts with the prefix
const saved = d => fs.statSync(path.join(root(), d)).mtimeMs;
if (!hit) for (const p of rk) {
  const m = dirs.filter(d => d.startsWith(safe(p)))
    .sort((a, b) => saved(a) - saved(b) || a.localeCompare(b)).pop();
  if (m) { hit = m; break; }
}
if (hit) paths.forEach((p, i) => copy(path.join(root(), hit, String(i)), expand(p)));
console.log(`[standin cache] key=${key} restored=${hit || 'none'} exact=${exact}`);
out('cache-hit', String(exact)); if (hit) out('cache-matched-key', hit);
state('CACHE_KEY', key); state('CACHE_EXACT', String(exact));
