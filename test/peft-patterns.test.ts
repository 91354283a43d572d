/**
 * rank_pattern / alpha_pattern read as PEFT 0.21 reads them (lib/peft/patterns.ts): the FIRST key in the config's
 * order that matches `(.*\.)?(key)$` applies. Pure properties first, then against PEFT itself (python3 with torch +
 * peft + safetensors; skipped with the reason printed when absent): get_pattern_key on random configs, and
 * PeftModel.from_pretrained on adapters that writePeftAdapter / exportPeftAdapter wrote with suffix keys, regex keys
 * and nested module names (one name ending another).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LoraLinear, LoraValueError, Tensor, exportPeftAdapter, readPeftAdapter, writePeftAdapter } from '../lib';
import { peftModuleScale } from '../lib/peft/adapter';
import { exactPatterns, patternEntry, patternRegExp } from '../lib/peft/patterns';
import { describeWithPython } from './helpers/python';
import { randTensor, rng } from './helpers/ref';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-patterns-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const MODULES = ['q_proj', 'l.0.q_proj', 'l.1.q_proj', 'l.10.q_proj', 'l.0.v_proj', 'm.l.0.q_proj', 'l_0_q_proj', 'l.0.mlp.fc1', 'layers.0', '0', 'layers.10'];
const KEYS = [...MODULES, 'v_proj', 'proj', '0.q_proj', 'l.1.*', 'l.[01].q_proj', '(q|v)_proj', 'l\\.0\\..*', 'fc1|q_proj', '.*', 'l..q_proj', '1', '10', 'mlp.fc1', 'x', 'l.0.q_pro+j', 'q_proj?'];

describe('patternEntry: the first key in order that matches (.*\\.)?(key)$', () => {
  test('a dotted suffix reaches the module, a bare suffix does not; the first matching key wins over a later exact entry', () => {
    expect(patternEntry({ proj: 1 }, 'l.0.q_proj', 'p')).toBeUndefined();
    expect(patternEntry({ q_proj: 2 }, 'l.0.q_proj', 'p')).toEqual({ key: 'q_proj', value: 2 });
    expect(patternEntry({ q_proj: 2, 'l.0.q_proj': 4 }, 'l.0.q_proj', 'p')).toEqual({ key: 'q_proj', value: 2 });
    expect(patternEntry({ 'l.0.q_proj': 4, q_proj: 2 }, 'l.0.q_proj', 'p')).toEqual({ key: 'l.0.q_proj', value: 4 });
    expect(patternEntry({ 'l.0.q_proj': 4, q_proj: 2 }, 'l.1.q_proj', 'p')).toEqual({ key: 'q_proj', value: 2 });
  });

  test("keys are regexes: '.' is any character, classes, alternation and repeats work; the whole name's end must match", () => {
    expect(patternEntry({ 'l.0.q_proj': 4 }, 'l_0_q_proj', 'p')?.value).toBe(4);
    expect(patternEntry({ 'l\\.0\\.q_proj': 4 }, 'l_0_q_proj', 'p')).toBeUndefined();
    expect(patternEntry({ 'l.[01].q_proj': 3 }, 'l.1.q_proj', 'p')?.value).toBe(3);
    expect(patternEntry({ 'l.[01].q_proj': 3 }, 'l.10.q_proj', 'p')).toBeUndefined();
    expect(patternEntry({ '(q|v)_proj': 5 }, 'l.0.v_proj', 'p')?.value).toBe(5);
    expect(patternEntry({ 'l.1.*': 6 }, 'l.10.q_proj', 'p')?.value).toBe(6);
    expect(patternEntry({ 'q_pro+j': 7 }, 'l.0.q_proj', 'p')?.value).toBe(7);
    expect(patternEntry({ 'q_proj': 7 }, 'l.0.q_proj.x', 'p')).toBeUndefined();
  });

  test.each(['^q_proj', 'q_proj$', 'q_proj{1}', '(?P<x>q)_proj', '(?:q)_proj', '[]q]_proj', '[^x]_proj', 'q\\w', 'q proj', 'q_pröj'])(
    "a key whose meaning may differ between Python's re and JavaScript (%s) is a LoraValueError naming it", (key) => {
      expect(() => patternEntry({ [key]: 1 }, 'l.0.q_proj', 'importPeft: d: rank_pattern')).toThrow(LoraValueError);
      expect(() => patternRegExp(key, 'importPeft: d: rank_pattern')).toThrow(/^importPeft: d: rank_pattern key '.*' uses regex syntax loraga does not interpret/);
    });

  test.each(['(q_proj', 'q_proj)', '*q', 'q**', '[z-a]'])('an invalid pattern (%s) is a LoraValueError, as it is an error in PEFT', (key) => {
    expect(() => patternEntry({ [key]: 1 }, 'l.0.q_proj', 'w')).toThrow(LoraValueError);
    expect(() => patternEntry({ [key]: 1 }, 'l.0.q_proj', 'w')).toThrow(/^w key '.*' is not a valid pattern: /);
  });

  test("number keys ('0') lose their place in the file's order when parsed: refused only when matching keys disagree", () => {
    // JSON.parse('{"layers.0": 4, "0": 8}') lists '0' first; PEFT reads the file's order and takes 'layers.0'.
    const p = JSON.parse('{"layers.0": 4, "0": 8}');
    expect(() => patternEntry(p, 'layers.0', 'r')).toThrow(new LoraValueError("r: keys that match module 'layers.0' disagree and one is a number ('0'), whose place in the file's order is not kept; PEFT takes the first match: give 'layers.0' unambiguous keys"));
    expect(patternEntry(JSON.parse('{"layers.0": 8, "0": 8}'), 'layers.0', 'r')?.value).toBe(8);
    expect(patternEntry(p, '0', 'r')?.value).toBe(8);   // only '0' matches '0'
    expect(() => patternEntry(JSON.parse('{"x.0": 4, "0": 8, "1": 9}'), 'x.0', 'r')).toThrow(/ and one is a number \('0', '1'\), /);
  });

  test.each([
    ['01', false], ['100', true], ['4294967294', true], ['4294967295', false], ['1.5', false], ['-1', false],
  ])("only canonical array indices lose their place ('%s' is one: %s): refused for those, first match in order for the rest", (k, index) => {
    // The module is 'x.<k>' with its own entry first; '<k>' also reaches it, with another value.
    const text = `{"x.${k}": 4, "${k}": 8}`, p = JSON.parse(text);
    expect(Object.keys(p)[0] === k).toBe(index);   // JSON.parse's order: an index key first, any other as written
    if (index) expect(() => patternEntry(p, `x.${k}`, 'r')).toThrow(LoraValueError);
    else expect(patternEntry(p, `x.${k}`, 'r')).toEqual({ key: `x.${k}`, value: 4 });
  });
});

describe('exactPatterns: ordered exact entries that give every module its own value under the first-match rule', () => {
  test('nested names (one ends another) are ordered longest first; a module another key reaches gets its own entry', () => {
    const out = exactPatterns({ q_proj: 2, 'l.0.q_proj': 4 }, 4, ['q_proj', 'l.0.q_proj', 'l.1.q_proj'], 'w');
    expect(Object.entries(out)).toEqual([['l.0.q_proj', 4], ['l.1.q_proj', 4], ['q_proj', 2]]);
  });

  test('a wildcard-looking name (l.0.q_proj also matches l_0_q_proj) comes after the more specific one', () => {
    const out = exactPatterns({ 'l.0.q_proj': 3, l_0_q_proj: 5 }, 1, ['l.0.q_proj', 'l_0_q_proj'], 'w');
    expect(Object.keys(out)).toEqual(['l_0_q_proj', 'l.0.q_proj']);
  });

  test('random module sets and values: every module gets exactly its value (1000 cases)', () => {
    const next = rng(7);
    const pick = () => MODULES.filter((m) => m !== '0' && next() < 0.5);   // '0' is an index key: see the next test
    for (let c = 0; c < 1000; c++) {
      const names = pick();
      if (names.length === 0) continue;
      const vals = Object.fromEntries(names.map((n) => [n, 1 + Math.floor(next() * 3)]));
      const out = exactPatterns(vals, 1, names, 'w');
      for (const n of names) expect(patternEntry(out, n, 'w')?.value ?? 1).toBe(vals[n]);
      for (const k of Object.keys(out)) expect(names).toContain(k);
    }
  });

  test('ties in length and dots are in code-point order: the entries do not depend on the order of the modules', () => {
    expect(Object.keys(exactPatterns({ b: 2, c: 2, a: 2 }, 1, ['b', 'c', 'a'], 'w'))).toEqual(['a', 'b', 'c']);
    expect(Object.keys(exactPatterns({ 'l.c': 2, 'l.a': 2, l_b: 2 }, 1, ['l.c', 'l_b', 'l.a'], 'w'))).toEqual(['l_b', 'l.a', 'l.c']);
  });

  test("a name with other regex characters (a ModuleDict key 'x.a+b', whose pattern does not match itself) is refused, not written wrong", () => {
    expect(() => exactPatterns({ 'x.a+b': 2 }, 1, ['x.a+b'], 'w')).toThrow(new LoraValueError("w: module 'x.a+b' cannot be given 2 by exact names under PEFT's first-match rule (it would get 1)"));
  });

  test("a module named '0' beside 'layers.0' with different values cannot be written unambiguously: LoraValueError", () => {
    expect(() => exactPatterns({ 0: 2, 'layers.0': 3 }, 1, ['0', 'layers.0'], 'w')).toThrow(LoraValueError);
    expect(exactPatterns({ 0: 2, 'layers.0': 2 }, 1, ['0', 'layers.0'], 'w')).toEqual({ 0: 2, 'layers.0': 2 });
  });
});

const { describe: withPeft, python } = describeWithPython(['torch', 'peft', 'safetensors']);
const HELPER = path.join(__dirname, 'helpers', 'peft_patterns.py');
const pyJson = (args: string[]): unknown => JSON.parse(execFileSync(python, [HELPER, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop()!);

withPeft('against PEFT 0.21 itself', () => {
  jest.setTimeout(120_000);

  test('get_pattern_key on 400 random configs (file order kept): loraga applies the same value to every module, or refuses a number-key ambiguity', () => {
    const next = rng(11), texts: string[] = [];
    for (let c = 0; c < 400; c++) {
      const pairs: [string, number][] = [];
      const n = 1 + Math.floor(next() * 5);
      while (pairs.length < n) {
        const k = KEYS[Math.floor(next() * KEYS.length)];
        if (!pairs.some(([q]) => q === k)) pairs.push([k, 1 + Math.floor(next() * 4)]);
      }
      // Written by hand, not JSON.stringify: a JS object would list number keys first, PEFT reads the file's order.
      texts.push(`{"pattern": {${pairs.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}, "modules": ${JSON.stringify(MODULES)}}`);
    }
    const file = path.join(tmp, 'cases.json');
    fs.writeFileSync(file, `[${texts.join(',\n')}]`);
    const peft = pyJson(['match', file]) as Record<string, string | null>[];
    let compared = 0, refused = 0;
    texts.forEach((t, c) => {
      const pattern = JSON.parse(t).pattern as Record<string, number>;
      for (const m of MODULES) {
        const want = peft[c][m];
        expect(want).not.toBe('!error');
        let got: { key: string; value: number } | undefined;
        try {
          got = patternEntry(pattern, m, 'p');
        } catch (e) {
          // Only when a number key is among the matching keys and they disagree.
          expect((e as Error).message).toMatch(/one is a number/);
          refused++;
          continue;
        }
        expect(got?.value).toBe(want === null ? undefined : pattern[want]);
        compared++;
      }
    });
    console.log(`patterns vs get_pattern_key: ${compared} (config, module) pairs agree, ${refused} refused as ambiguous`);
    expect(refused).toBeLessThan(compared / 10);
  });

  test('writePeftAdapter with a suffix key, a regex key, nested names and generated entries: PEFT builds every layer at its rank and scale', async () => {
    const mod = (r: number, inF = 8, out = 6) => ({ A: randTensor([r, inF], r).t, B: randTensor([out, r], r + 1).t });
    const dir = path.join(tmp, 'w');
    await writePeftAdapter(dir, {
      modules: { q_proj: mod(2), 'l.0.q_proj': mod(4), 'l.1.q_proj': mod(3), 'l.10.q_proj': mod(3), 'l.0.v_proj': mod(4), 'l.0.mlp.fc1': mod(5, 8, 4) },
      config: { r: 4, lora_alpha: 8, rank_pattern: { 'l.1.*': 3 }, alpha_pattern: { 'l.0.q_proj': 12, q_proj: 6, '(v|w)_proj': 5 } },
    });
    const back = await readPeftAdapter(dir);
    // Caller's keys first, then the generated exact entries, longest first (l.0.q_proj before q_proj, which reaches it).
    expect(Object.entries(back.config.rank_pattern as object)).toEqual([['l.1.*', 3], ['l.0.mlp.fc1', 5], ['l.0.q_proj', 4], ['q_proj', 2]]);
    const peft = pyJson(['load', dir]) as Record<string, { r: number; scaling: number; A: number[] }>;
    expect(Object.keys(peft).sort()).toEqual(Object.keys(back.modules).sort());
    const want: Record<string, [number, number]> = { q_proj: [2, 6], 'l.0.q_proj': [4, 12], 'l.1.q_proj': [3, 6], 'l.10.q_proj': [3, 6], 'l.0.v_proj': [4, 5], 'l.0.mlp.fc1': [5, 8] };
    for (const [m, [r, alpha]] of Object.entries(want)) {
      expect(peft[m].r).toBe(r);
      expect(peft[m].A[0]).toBe(r);
      expect(peft[m].scaling).toBeCloseTo(alpha / r, 12);
      expect(peftModuleScale(back.config, m, 'read')).toEqual({ r, alpha, s: alpha / r });
    }
  });

  test("exportPeftAdapter of layers named 'q_proj' and 'l.0.q_proj' at different scales: PEFT gives each its own scale", async () => {
    const layer = (alpha: number) => new LoraLinear(Tensor.zeros([6, 8]), randTensor([2, 8], alpha).t, randTensor([6, 2], alpha + 1).t, { alpha });
    const dir = path.join(tmp, 'e');
    await exportPeftAdapter(dir, [{ name: 'l.0.q_proj', layer: layer(4) }, { name: 'q_proj', layer: layer(10) }, { name: 'l.1.q_proj', layer: layer(4) }]);
    const peft = pyJson(['load', dir]) as Record<string, { r: number; scaling: number }>;
    expect(peft['q_proj'].scaling).toBeCloseTo(5, 12);
    expect(peft['l.0.q_proj'].scaling).toBeCloseTo(2, 12);
    expect(peft['l.1.q_proj'].scaling).toBeCloseTo(2, 12);
  });
});
