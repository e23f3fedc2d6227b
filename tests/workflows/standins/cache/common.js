const fs = require('fs'), path = require('path'), os = require('os');
const inp = (n) => (process.env['INPUT_' + n.replace(/ /g, '_').toUpperCase()] || '').trim();
const lines = (s) => s.split('\n').map(x => x.trim()).filter(Boolean);
const expand = (p) => path.resolve(process.env.GITHUB_WORKSPACE || '.', p.replace(/^~(?=\/|$)/, os.homedir()));
const root = () => { const d = process.env.ACT_CACHE_DIR; if (!d) throw new Error('set ACT_CACHE_DIR via --env'); return d; };
const safe = (k) => k.replace(/[^A-Za-z0-9._-]/g, '_');
const copy = (src, dst) => { if (fs.existsSync(src)) fs.cpSync(src, dst, { recursive: true, force: true }); };
module.exports = { fs, path, inp, lines, expand, root, safe, copy };
