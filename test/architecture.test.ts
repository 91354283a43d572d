// ARCHITECTURE.md's op table is true: every exported native op has a row, every file it names exists, the TypeScript
// file uses the op and the binding file defines it (so a stranger following the table lands on the real code).
import * as fs from 'fs';
import * as path from 'path';
import { native } from '../lib/native';

const root = path.join(__dirname, '..');
const doc = fs.readFileSync(path.join(root, 'ARCHITECTURE.md'), 'utf8');

interface Row { op: string; ts: string[]; binding: string[]; cpu: string[]; cuda: string[] }

function opTable(markdown: string): Row[] {
  const section = markdown.split(/^## Op table$/m)[1]?.split(/^## /m)[0] ?? '';
  const cells = (line: string) => line.split('|').slice(1, -1).map((c) => c.trim());
  const paths = (cell: string) => (cell === '—' ? [] : cell.split(',').map((p) => p.trim().replace(/^`|`$/g, '')));
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  expect(cells(lines[0])).toEqual(['op', 'TypeScript', 'binding', 'CPU', 'CUDA']);
  return lines.slice(2).map((l) => {
    const [op, ts, binding, cpu, cuda] = cells(l);
    return { op, ts: paths(ts), binding: paths(binding), cpu: paths(cpu), cuda: paths(cuda) };
  });
}

const rows = opTable(doc);
const read = (p: string) => fs.readFileSync(path.join(root, p), 'utf8');
// The binding function of op `fooBar` is `FooBar` (csrc/binding/ops.h).
const bindingName = (op: string) => op[0].toUpperCase() + op.slice(1);

describe('ARCHITECTURE.md op table', () => {
  test('has exactly one row per function the addon exports', () => {
    const exported = Object.keys(native).filter((k) => typeof native[k] === 'function').sort();
    const listed = rows.map((r) => r.op).sort();
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toEqual(exported);
  });

  test('every file it names exists', () => {
    const missing = rows.flatMap((r) => [...r.ts, ...r.binding, ...r.cpu, ...r.cuda])
      .filter((p) => !fs.existsSync(path.join(root, p)));
    expect(missing).toEqual([]);
  });

  test('each op is used by its TypeScript file and defined by its binding file', () => {
    for (const r of rows) {
      expect(r.ts).toHaveLength(1);
      expect(r.binding).toHaveLength(1);
      expect({ op: r.op, usedInTs: new RegExp(`\\b${r.op}\\b`).test(read(r.ts[0])) }).toEqual({ op: r.op, usedInTs: true });
      const defines = new RegExp(`Napi::Value ${bindingName(r.op)}\\(const Napi::CallbackInfo& info\\) \\{`).test(read(r.binding[0]));
      expect({ op: r.op, definedInBinding: defines }).toEqual({ op: r.op, definedInBinding: true });
    }
  });

  test('the native entry exports each op under the name the binding file defines', () => {
    const addon = read('csrc/addon.cc');
    for (const r of rows) expect(addon).toContain(`{"${r.op}", ${bindingName(r.op)}}`);
  });
});
