/** Flag parsing for the CLI: `--name value`, `--name=value`, and boolean `--flag`. Unknown flags are errors. */
import * as fs from 'fs';
import * as path from 'path';
import { LoraValueError } from '../errors';

export type FlagKind = 'string' | 'number' | 'boolean';
export interface FlagSpec {
  kind: FlagKind;
  required?: boolean;
  default?: string | number | boolean;
}
export type Flags = Record<string, string | number | boolean | undefined>;

export interface Command {
  summary: string;
  help: string;
  flags: Record<string, FlagSpec>;
  run(flags: Flags): Promise<number>;
}

export function parseFlags(argv: string[], specs: Record<string, FlagSpec>): Flags {
  const out: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (!tok.startsWith('--')) throw new LoraValueError(`unexpected argument '${tok}'`);
    let [name, value] = tok.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = specs[name];
    if (!spec) throw new LoraValueError(`unknown flag --${name} (known: ${Object.keys(specs).map((k) => `--${k}`).join(' ')})`);
    if (spec.kind === 'boolean') {
      out[name] = value === undefined ? true : value !== 'false';
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new LoraValueError(`--${name} needs a value`);
    }
    if (spec.kind === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new LoraValueError(`--${name} expects a number, got '${value}'`);
      out[name] = n;
    } else {
      out[name] = value;
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (out[name] === undefined && spec.default !== undefined) out[name] = spec.default;
    if (spec.required && out[name] === undefined) throw new LoraValueError(`missing required flag --${name}`);
  }
  return out;
}

/** loraga's version, from the package.json beside dist/ (or lib/): 'unknown' when it cannot be read. */
export function packageVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}
