// Reads the Jest JSON results of tools/scripts/stress-test.sh.
//   run FILE I SECONDS STATUS   prints one line for run I
//   summary DIR N HOG           prints which tests ever failed; exits 1 if any run failed
const { readFileSync, existsSync } = require('node:fs');
const { join, relative } = require('node:path');

function load(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

function failures(result) {
  const out = [];
  for (const suite of result.testResults) {
    const file = relative(process.cwd(), suite.name);
    const failed = suite.assertionResults.filter((a) => a.status === 'failed');
    if (failed.length === 0 && suite.status === 'failed') out.push(`${file} (suite failed: ${firstLine(suite.message)})`);
    for (const a of failed) out.push(`${file} > ${a.fullName}`);
  }
  return out;
}

function firstLine(text) {
  return (text || '').replace(/\u001b\[[0-9;]*m/g, '').split('\n').find((l) => l.trim()) || '';
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'run') {
  const [file, i, seconds, status] = args;
  const r = load(file);
  if (!r) {
    console.log(`run ${i}: NO RESULTS (jest exited ${status}) in ${seconds} s; see ${file.replace(/json$/, 'log')}`);
  } else {
    const verdict = r.numFailedTests === 0 && r.numFailedTestSuites === 0 && status === '0' ? 'ok  ' : 'FAIL';
    console.log(`run ${i}: ${verdict} ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numFailedTestSuites} suites failed, in ${seconds} s`);
    for (const f of failures(r)) console.log(`         ${f}`);
  }
} else if (mode === 'summary') {
  const [dir, n, hog] = args;
  const counts = new Map();
  let bad = 0;
  for (let i = 1; i <= Number(n); i++) {
    const r = load(join(dir, `run-${i}.json`));
    if (!r) { bad++; counts.set('(no results: jest crashed)', (counts.get('(no results: jest crashed)') || 0) + 1); continue; }
    const f = failures(r);
    if (f.length > 0 || r.numFailedTests > 0) bad++;
    for (const name of f) counts.set(name, (counts.get(name) || 0) + 1);
  }
  console.log(`stress: ${Number(n) - bad} of ${n} runs green${hog === '1' ? ', one core kept busy' : ''}`);
  if (counts.size === 0) console.log('stress: no test ever failed');
  for (const [name, c] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`  failed ${c}/${n}: ${name}`);
  process.exit(bad === 0 ? 0 : 1);
} else {
  console.error('usage: stress-summary.js run FILE I SECONDS STATUS | summary DIR N HOG');
  process.exit(2);
}
