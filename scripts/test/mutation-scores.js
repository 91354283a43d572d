#!/usr/bin/env node
/**
 * The mutation score per folder of lib/ from Stryker's JSON reports (reports/mutation/<run>/mutation.json, written
 * by `npm run test:mutation`). Runs of single folders are merged: for each source file the newest report that holds
 * it counts. Exits 1 when a checked folder (lib/init, lib/train, lib/io, lib/peft; `--only <folder>`, repeatable,
 * checks just those) scores under 90 %, or has no report at all. A folder whose numbers come (partly) from a sampled
 * run (`--sample K`, reports/mutation/…-sample<K>/) is marked `~`: its score is an estimate from that sample.
 *
 *   node scripts/test/mutation-scores.js [--only lib/io …] [--survivors] [report.json …]
 *
 * Score = (killed + timeout) / (killed + timeout + survived + no coverage), as Stryker counts it; mutants that do
 * not compile (CompileError), crash the runner (RuntimeError) or are disabled by a `// Stryker disable` comment
 * (Ignored) are not in it. The bar is checked on the score without the survivors test/mutation/equivalent.json lists
 * as equivalent or unreachable (file, line, column, mutator and replacement, matched exactly; equivalent.md says why),
 * the usual definition of a mutation score (an equivalent mutant cannot be killed); both scores are printed. A listed
 * mutant that a run kills, or a listed one a full run of its file did not make, is reported: the list needs a look.
 * --survivors lists each surviving and uncovered mutant (file:line, mutator, replacement), marking the listed ones.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..');
const CHECKED = ['lib/init', 'lib/train', 'lib/io', 'lib/peft'];
const MIN = 90;

function parseArgs(argv) {
  const a = { only: [], survivors: false, reports: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') a.only.push(argv[++i].replace(/\/+$/, ''));
    else if (argv[i] === '--survivors') a.survivors = true;
    else a.reports.push(argv[i]);
  }
  return a;
}

function defaultReports() {
  const dir = path.join(root, 'reports', 'mutation');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((d) => path.join(dir, d, 'mutation.json')).filter((p) => fs.existsSync(p));
}

/** source file (relative to the repo root) → its mutants, from the newest report holding it. */
function mergedFiles(reports) {
  const byAge = reports.map((p) => ({ p, t: fs.statSync(p).mtimeMs })).sort((a, b) => a.t - b.t);
  const files = new Map();
  for (const { p } of byAge) {
    const r = JSON.parse(fs.readFileSync(p, 'utf8'));
    // The sample a report holds (-sample<K>[s<shift>]), whatever folders its run mutated.
    const tag = (path.basename(path.dirname(p)).match(/-sample\d+(s\d+)?$/) ?? [''])[0];
    const sampled = tag !== '';
    for (const [f, v] of Object.entries(r.files)) {
      const rel = path.relative(root, path.resolve(root, f)).split(path.sep).join('/');
      const prev = files.get(rel);
      // Disjoint samples (--shift) of the same file add up; a newer run of the same sample, or a full run, replaces.
      const bySample = prev && prev.sampled && sampled ? new Map(prev.bySample) : new Map();
      bySample.set(tag, v.mutants);
      const seen = new Set(), mutants = [];
      for (const list of bySample.values())
        for (const x of list) {
          // The end too: two mutants can share a start, a mutator and a replacement (`a && b` → false, and `a` → false).
          const id = `${x.location.start.line}:${x.location.start.column}-${x.location.end?.line}:${x.location.end?.column}:${x.mutatorName}:${x.replacement}`;
          if (!seen.has(id)) { seen.add(id); mutants.push(x); }
        }
      files.set(rel, { mutants, sampled, bySample });
    }
  }
  return files;
}

/**
 * The survivors judged equivalent or unreachable: test/mutation/equivalent.json, one entry per mutant (file, line,
 * column, mutator, replacement: matched exactly) with a short why; equivalent.md has the reasons in full.
 * An entry with "end" ("line:column") matches only the mutant ending there: for two mutants that share the rest, one
 * killed and one equivalent. → Map "file:line:col[@end]:Mutator:replacement" → why.
 */
function listedEquivalents() {
  const list = JSON.parse(fs.readFileSync(path.join(root, 'test', 'mutation', 'equivalent.json'), 'utf8'));
  return new Map(list.map((e) => [mutantId(e.file, e.line, e.column, e.end, e.mutator, e.replacement), e.why]));
}

function mutantId(file, line, column, end, mutator, replacement) {
  return `${file}:${line}:${column}${end ? `@${end}` : ''}:${mutator}:${replacement}`;
}

function folderOf(file) {
  return CHECKED.find((d) => file.startsWith(`${d}/`)) ?? 'rest of lib/';
}

function emptyRow() {
  return { mutants: 0, Killed: 0, Survived: 0, Timeout: 0, NoCoverage: 0, CompileError: 0, RuntimeError: 0, Ignored: 0, Pending: 0, equivalent: 0 };
}

function score(r) {
  const valid = r.Killed + r.Timeout + r.Survived + r.NoCoverage;
  return valid ? (100 * (r.Killed + r.Timeout)) / valid : NaN;
}

/** The score without the listed equivalent survivors: what the bar is checked on. */
function scoreNet(r) {
  const valid = r.Killed + r.Timeout + r.Survived + r.NoCoverage - r.equivalent;
  return valid ? (100 * (r.Killed + r.Timeout)) / valid : NaN;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const reports = args.reports.length ? args.reports : defaultReports();
  if (!reports.length) {
    console.error('mutation-scores: no report under reports/mutation/ (run `npm run test:mutation -- lib/<folder>`)');
    process.exit(1);
  }
  const files = mergedFiles(reports);
  const listed = listedEquivalents();
  const seen = new Set();
  const stale = [];
  const rows = new Map();
  const survivors = [];
  const sampledFolders = new Set();
  for (const [file, { mutants, sampled }] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const key = folderOf(file);
    if (sampled) sampledFolders.add(key);
    if (!rows.has(key)) rows.set(key, emptyRow());
    const row = rows.get(key);
    for (const m of mutants) {
      row[m.status] = (row[m.status] ?? 0) + 1;
      if (['Killed', 'Survived', 'Timeout', 'NoCoverage'].includes(m.status)) row.mutants++;
      const { start, end } = m.location;
      const withEnd = mutantId(file, start.line, start.column, `${end?.line}:${end?.column}`, m.mutatorName, m.replacement);
      const id = listed.has(withEnd) ? withEnd : mutantId(file, start.line, start.column, '', m.mutatorName, m.replacement);
      const isListed = listed.has(id);
      if (isListed) seen.add(id);
      // A mutant listed as changing only speed may run past Stryker's time limit on a busy machine: a timeout then
      // agrees with its listing. Any other kill or timeout of a listed mutant means the list needs a look.
      const slowOnly = isListed && m.status === 'Timeout' && /speed only/i.test(listed.get(id));
      if (isListed && !slowOnly && (m.status === 'Killed' || m.status === 'Timeout')) stale.push(`${id} is listed as equivalent but was ${m.status === 'Timeout' ? 'killed (timed out)' : 'killed'}`);
      if (m.status === 'Survived' || m.status === 'NoCoverage') {
        if (isListed) row.equivalent++;
        survivors.push(`${m.status === 'Survived' ? 'survived' : 'no cover'}  ${file}:${start.line}:${start.column} (to ${end?.line}:${end?.column})  ${m.mutatorName}  ${JSON.stringify(m.replacement ?? '')}${isListed ? '  (listed equivalent)' : ''}`);
      }
    }
  }
  // A listed place in a file a full run covered, with no such mutant: the code moved or changed.
  for (const id of listed.keys()) {
    const file = id.split(':')[0];
    if (!seen.has(id) && files.has(file) && !files.get(file).sampled) stale.push(`${id} is listed but the full run of ${file} made no such mutant`);
  }
  const order = [...CHECKED, 'rest of lib/'].filter((k) => rows.has(k));
  const total = emptyRow();
  for (const k of order) for (const c of Object.keys(total)) total[c] += rows.get(k)[c];
  const cols = ['folder', 'mutants', 'killed', 'survived', 'timeout', 'no cov', 'invalid', 'ignored', 'score', 'equivalent', 'score w/o equivalent'];
  const line = (k, r) => [sampledFolders.has(k) ? `${k} ~` : k, r.mutants, r.Killed, r.Survived, r.Timeout, r.NoCoverage, r.CompileError + r.RuntimeError, r.Ignored, `${score(r).toFixed(2)} %`, r.equivalent, `${scoreNet(r).toFixed(2)} %`];
  if (sampledFolders.size) sampledFolders.add('all');
  const table = [cols, ...order.map((k) => line(k, rows.get(k))), line('all', total)];
  const width = cols.map((_, i) => Math.max(...table.map((t) => String(t[i]).length)));
  for (const t of table) console.log(t.map((c, i) => (i === 0 ? String(c).padEnd(width[i]) : String(c).padStart(width[i]))).join('  '));
  if (sampledFolders.size) console.log('~ estimated from a sampled run (--sample): only the sampled lines\' mutants are counted');
  console.log('equivalent: survivors test/mutation/equivalent.json lists as equivalent or unreachable (why: equivalent.md); the bar (90 %) is on the last column');
  if (args.survivors && survivors.length) console.log(`\n${survivors.join('\n')}`);
  if (stale.length) console.log(`\nmutation-scores: test/mutation/equivalent.json needs a look:\n  ${stale.join('\n  ')}`);

  const checked = args.only.length ? [...new Set(args.only)] : CHECKED;
  const bad = [];
  for (const k of checked.filter((c) => CHECKED.includes(c))) {
    if (!rows.has(k)) bad.push(`${k}: no report`);
    else if (!(scoreNet(rows.get(k)) >= MIN)) bad.push(`${k}: ${scoreNet(rows.get(k)).toFixed(2)} % < ${MIN} % (without the listed equivalents)`);
  }
  if (bad.length) {
    console.error(`\nmutation-scores: below the bar: ${bad.join('; ')}`);
    process.exit(1);
  }
}

main();
