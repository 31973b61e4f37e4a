// Runs every project's tests in one Jest process (used by `npm test`).
const { readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const roots = ['libs', 'apps', 'tools'];
const projects = roots.flatMap((root) =>
  existsSync(join(__dirname, root))
    ? readdirSync(join(__dirname, root))
        .map((name) => join(__dirname, root, name))
        .filter((dir) => existsSync(join(dir, 'jest.config.js')))
    : [],
);
// The benchmarks' pure helpers (bench/src/scale/report.ts) have unit tests too.
if (existsSync(join(__dirname, 'bench', 'jest.config.js'))) projects.push(join(__dirname, 'bench'));

// watchman is a root-only option; without it Jest crawls the file system itself.
module.exports = { projects, watchman: false };
