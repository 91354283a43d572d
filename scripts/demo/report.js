// Demo, part 3 of 4: what the runs are turned into. The summary rows (best lr per method and where it sits in its
// grid, steps to reach plain LoRA's final loss, the share of the LoRA → full fine-tuning gap closed), the printed
// table, the loss plot (demo-out/loss.svg, full fine-tuning as the ceiling), and the export check: the best LoRA-GA
// run written as a PEFT adapter and applied to the ORIGINAL pre-trained weights. See scripts/demo/index.js.
'use strict';
const fs = require('fs');
const path = require('path');
const { matmul, exportPeftAdapter, readPeftAdapter } = require('../..');
const { RANK, evalLoss } = require('./model');
const { METHODS, stepsTo } = require('./train');

/**
 * Best run per method (lowest final loss), the target (plain LoRA's final loss), the ceiling (full fine-tuning's)
 * and one summary row per method. `gapClosed` = (LoRA − method)/(LoRA − full FT) on the final loss: 0 is plain
 * LoRA, 1 is full fine-tuning. `lrAtEdge` says the best rate is the grid's first or last (the grid should move).
 */
function summarize(runs) {
  const best = {};
  for (const r of runs) if (!best[r.method] || r.final < best[r.method].final) best[r.method] = r;
  const target = best['LoRA'].final, ceiling = best['full FT'].final;
  const loraSteps = stepsTo(best['LoRA'].curve, target);
  const rows = Object.keys(METHODS).map((m) => {
    const b = best[m], steps = stepsTo(b.curve, target), lrs = METHODS[m].lrs;
    return {
      method: m, optimizer: METHODS[m].optimizer, bestLr: b.lr, lrAtEdge: b.lr === lrs[0] || b.lr === lrs[lrs.length - 1],
      stepsToTarget: steps, speedupVsLora: steps ? loraSteps / steps : null, finalLoss: b.final, initialLoss: b.curve[0][1],
      gapClosed: target > ceiling ? (target - b.final) / (target - ceiling) : null,
      lossAt100: (b.curve.find((p) => p[0] === 100) || [0, null])[1],  // null when the run is shorter than 100 steps
      secondsPerRun: b.seconds, secondsSweep: runs.filter((r) => r.method === m).reduce((a, r) => a + r.seconds, 0),
    };
  });
  return { best, target, ceiling, loraSteps, rows };
}

/** The markdown-style table of summary rows and the paper's claim checked against LoRA-GA's row. */
function printTable({ rows, target, ceiling, loraSteps }, steps) {
  console.log(`\nHeld-out cross-entropy (nats/char). Target = plain LoRA's final at its best lr: ${target.toFixed(4)} (reached at step ${loraSteps}); ceiling = full fine-tuning's: ${ceiling.toFixed(4)}`);
  const hdr = ['method', 'optimizer', 'best lr', 'loss @0', 'loss @100', 'steps to target', 'vs LoRA', 'final loss', 'gap closed', 's/run', 's sweep'];
  const fmtRow = (r) => [r.method, r.optimizer, String(r.bestLr) + (r.lrAtEdge ? ' (edge)' : ''), r.initialLoss.toFixed(4),
    r.lossAt100 === null ? '-' : r.lossAt100.toFixed(4), r.stepsToTarget === null ? `>${steps}` : String(r.stepsToTarget),
    r.speedupVsLora ? `${r.speedupVsLora.toFixed(2)}x` : '-', r.finalLoss.toFixed(4), r.gapClosed === null ? '-' : `${Math.round(100 * r.gapClosed)}%`,
    r.secondsPerRun.toFixed(2), r.secondsSweep.toFixed(2)];
  const table = [hdr, ...rows.map(fmtRow)];
  const widths = hdr.map((_, j) => Math.max(...table.map((row) => row[j].length)));
  const line = (row) => '| ' + row.map((c, j) => c.padEnd(widths[j])).join(' | ') + ' |';
  console.log(line(hdr));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const row of table.slice(1)) console.log(line(row));

  const ga = rows.find((r) => r.method === 'LoRA-GA');
  console.log(`\nPaper's claim (LoRA-GA reaches plain LoRA's final loss 2-4x sooner): measured ${ga.speedupVsLora ? ga.speedupVsLora.toFixed(2) + 'x' : 'not reached within ' + steps + ' steps'} here (${loraSteps} vs ${ga.stepsToTarget ?? '>' + steps} steps).`);
}

/**
 * Eval loss (log scale) vs step, best lr of each method; plain LoRA's and full fine-tuning's final losses dashed.
 * `title` defaults to the demo's (the TF.js example passes its own).
 */
function svgPlot(series, target, ceiling, file, steps, title = `Words → names: held-out cross-entropy (log scale) vs step, rank ${RANK}, best lr per method`) {
  const Wd = 840, Ht = 440, m = { l: 70, r: 250, t: 40, b: 50 }; // right margin holds the legend
  const all = series.flatMap((s) => s.curve.map((p) => p[1])).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.log10(Math.min(...all, target, ceiling) * 0.97), hi = Math.log10(Math.max(...all) * 1.03);
  const X = (t) => m.l + ((Wd - m.l - m.r) * t) / steps;
  const Y = (v) => m.t + ((Ht - m.t - m.b) * (hi - Math.log10(v))) / (hi - lo);
  const colors = ['#444444', '#1f77b4', '#d62728', '#2ca02c', '#17becf', '#9467bd', '#ff7f0e'];
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${Wd}" height="${Ht}" font-family="sans-serif" font-size="12">`,
    `<rect width="${Wd}" height="${Ht}" fill="white"/>`,
    `<text x="${m.l}" y="22" font-size="14">${title}</text>`];
  // Grid lines at round values: the losses span well under a decade.
  const stepV = (10 ** hi - 10 ** lo) > 1 ? 0.2 : 0.05;
  for (let v = Math.ceil(10 ** lo / stepV) * stepV; v <= 10 ** hi; v += stepV) {
    out.push(`<line x1="${m.l}" x2="${Wd - m.r}" y1="${Y(v)}" y2="${Y(v)}" stroke="#ddd"/>`,
      `<text x="${m.l - 8}" y="${Y(v) + 4}" text-anchor="end">${v.toFixed(2)}</text>`);
  }
  for (let t = 0; t <= steps; t += steps / 5) out.push(`<text x="${X(t)}" y="${Ht - m.b + 18}" text-anchor="middle">${t}</text>`);
  out.push(`<text x="${(m.l + Wd - m.r) / 2}" y="${Ht - 12}" text-anchor="middle">step</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${Wd - m.l - m.r}" height="${Ht - m.t - m.b}" fill="none" stroke="#888"/>`,
    `<line x1="${m.l}" x2="${Wd - m.r}" y1="${Y(target)}" y2="${Y(target)}" stroke="#1f77b4" stroke-dasharray="5,4"/>`,
    `<text x="${Wd - m.r + 6}" y="${Y(target) + 4}" fill="#1f77b4">LoRA final</text>`,
    `<line x1="${m.l}" x2="${Wd - m.r}" y1="${Y(ceiling)}" y2="${Y(ceiling)}" stroke="#444444" stroke-dasharray="2,3"/>`,
    `<text x="${Wd - m.r + 6}" y="${Y(ceiling) + 4}" fill="#444444">full FT final (ceiling)</text>`);
  series.forEach((s, k) => {
    const pts = s.curve.filter((p) => p[1] > 0 && Number.isFinite(p[1])).map(([t, v]) => `${X(t).toFixed(1)},${Y(v).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${colors[k % colors.length]}" stroke-width="2"/>`,
      `<line x1="${Wd - m.r + 10}" x2="${Wd - m.r + 30}" y1="${m.t + 50 + 20 * k}" y2="${m.t + 50 + 20 * k}" stroke="${colors[k % colors.length]}" stroke-width="3"/>`,
      `<text x="${Wd - m.r + 36}" y="${m.t + 54 + 20 * k}">${s.method}${s.method === 'full FT' ? ' (ceiling)' : ''} (lr ${s.lr})</text>`);
  });
  out.push('</svg>');
  fs.writeFileSync(file, out.join('\n') + '\n');
}

/**
 * Export of the best LoRA-GA run as a PEFT adapter (outDir/adapter-loraga), then applied to the ORIGINAL pre-trained
 * weights (not the offset base it trained on): W + s'·B'·A' from the files must give the trained model's loss.
 */
async function exportCheck(run, W0, evalSet, outDir) {
  const dir = path.join(outDir, 'adapter-loraga');
  await exportPeftAdapter(dir, run.layers.map((layer) => ({ name: layer.name, layer })));
  const { modules, config } = await readPeftAdapter(dir);
  const ranks = [];
  const applied = W0.map((w, l) => {
    const name = run.layers[l].name, m = modules[name], r = m.A.shape[0];
    const alpha = (config.alpha_pattern || {})[name] ?? config.lora_alpha;
    const s = config.use_rslora ? alpha / Math.sqrt(r) : alpha / r;
    ranks.push(r);
    const W = w.clone();
    matmul(m.B, m.A, { alpha: s, beta: 1, out: W });
    return W;
  });
  return { dir, ranks, trained: evalLoss(run.layers, evalSet), fromOriginalBase: evalLoss(applied, evalSet) };
}

module.exports = { summarize, printTable, svgPlot, exportCheck };
