#!/usr/bin/env node
// Runs decision-vector files (docs/policy.md §4 plus the project extensions
// documented at the top of tests/src/lib.rs) through the wasm guard, via the
// JS bridge. The runner itself is src/vectors/ (shared with the browser test,
// which runs the same files inside Chromium); this file only finds the
// files, reads them and prints.
//
//   node js/bin/guard-vectors.mjs PATH...
//
// Files are taken as given, folders recursively (`.json` only, sorted within
// each folder). Each failure is printed as `name: what differed`, each unknown
// field as a warning on stderr; the last line is `N passed, N failed`; the
// exit status is 1 on any failure (or on a path that cannot be listed, 2).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createGuard } from '../src/index.js';
import { runVectorText, warning } from '../src/vectors/runner.mjs';

// Kept exported from here: the harness server, the unit-test fixture, the
// browser tests and the benchmark import it from this path.
export { signPolicy } from '../src/vectors/sign.mjs';
export { warning } from '../src/vectors/runner.mjs';

/** Files under `paths` as the Rust runner collects them. Throws on a missing path. */
export function collectFiles(paths) {
  const out = [];
  const walk = (p) => {
    const st = statSync(p);
    if (st.isFile()) { out.push(p); return; }
    const entries = readdirSync(p).map((e) => join(p, e));
    // Rust sorts PathBufs component-wise; within one folder that is byte order of names.
    entries.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
    for (const e of entries) {
      let isDir = false;
      // A dangling symlink cannot be statted: it is neither a folder to walk
      // nor, unless named .json, a file to run (and then reading it fails loudly).
      try { isDir = statSync(e).isDirectory(); } catch { isDir = false; }
      if (isDir) walk(e);
      else if (e.endsWith('.json')) out.push(e);
    }
  };
  for (const p of paths) walk(p);
  return out;
}

/** Runs every vector file under `paths`; calls `report` per outcome; answers the totals. */
export async function runPaths(paths, report = () => {}) {
  const summary = { passed: 0, failed: 0 };
  for (const path of collectFiles(paths)) {
    let outcomes;
    try {
      outcomes = await runVectorText(path, readFileSync(path, 'utf8'), { createGuard });
    } catch (e) {
      // Reading failed (a permission, a dangling link): the file's failure, not the run's.
      outcomes = [{ name: path, failure: `not a vector file: ${e.message}`, ignored: [] }];
    }
    for (const o of outcomes) {
      if (o.failure) summary.failed++; else summary.passed++;
      report(o);
    }
  }
  return summary;
}

async function main(argv) {
  if (argv.length === 0) {
    console.error('usage: guard-vectors PATH...  (vector files or folders)');
    return 2;
  }
  let summary;
  try {
    summary = await runPaths(argv, (o) => {
      const w = warning(o);
      if (w !== null) console.error(`warning: ${w}`);
      if (o.failure) console.log(`${o.name}: ${o.failure}`);
    });
  } catch (e) {
    console.error(`guard-vectors: ${e.message}`);
    return 2;
  }
  console.log(`${summary.passed} passed, ${summary.failed} failed`);
  return summary.failed === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('guard-vectors.mjs')) {
  process.exitCode = await main(process.argv.slice(2));
}
