/**
 * rank_pattern / alpha_pattern as PEFT 0.21 reads them (peft.utils.other.get_pattern_key): module `m` takes the value
 * of the FIRST key, in the config's order, that matches `m` as the regex `(.*\.)?(key)$`; no key → the config's
 * r / lora_alpha. So 'q_proj' reaches 'l.0.q_proj' (dotted suffix) but 'proj' does not, and an exact entry listed after
 * a matching suffix key never applies. The readers (importPeft, `loraga export`) and the writer all go through here.
 */
import { LoraValueError } from '../errors';

/**
 * Key syntax whose meaning is the same in Python's `re` and JavaScript's RegExp: word characters, `.`, `\.`, `* + ?`,
 * `|`, groups without `(?`, character classes without `^` and not `[]` (an empty class in JS, the start of a class
 * holding `]` in Python). Anything else (`{n}`, `^`, `$`, other escapes, `(?P<…>`) could match differently here than in
 * PEFT: refused rather than guessed.
 */
const SAFE_KEY = /^(?:[A-Za-z0-9_.*+?|()[\]-]|\\\.)*$/;

/** The values a rank_pattern / alpha_pattern entry may hold, for the writer and the readers alike. */
export const isPatternRank = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;
export const isPatternAlpha = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);

const cache = new Map<string, RegExp>();

/** `key` as PEFT matches it against a module name, or a LoraValueError naming `where` when loraga cannot be sure. */
export function patternRegExp(key: string, where: string): RegExp {
  let re = cache.get(key);
  if (re) return re;
  const bad = `${where} key '${key}'`;
  if (!SAFE_KEY.test(key) || key.includes('(?') || key.includes('[]'))
    throw new LoraValueError(`${bad} uses regex syntax loraga does not interpret as PEFT (Python re) would; use module names, '.', '*', '+', '?', '|', '(…)', '[…]' or '\\.'`);
  try {
    re = new RegExp(`^(?:.*\\.)?(?:${key})$`);
  } catch (e) {
    throw new LoraValueError(`${bad} is not a valid pattern: ${(e as Error).message}`);
  }
  cache.set(key, re);
  return re;
}

/** A canonical array index: JSON.parse moves such keys ahead of the others, so their order in the file is lost. */
const isIndexKey = (k: string): boolean => /^(?:0|[1-9][0-9]*)$/.test(k) && Number(k) < 4294967295;

/**
 * The key of `pattern` PEFT applies to module `m` (the first that matches, in the object's order) and its value, or
 * undefined when none matches. When matching keys disagree and one of them is an array-index key ('0'), the order in
 * the file cannot be known from the parsed object: a LoraValueError rather than a guess.
 */
export function patternEntry(pattern: Record<string, number>, m: string, where: string): { key: string; value: number } | undefined {
  let first: string | undefined, index = false, differ = false;
  for (const k of Object.keys(pattern)) {
    if (!patternRegExp(k, where).test(m)) continue;
    if (first === undefined) first = k;
    else if (pattern[k] !== pattern[first]) differ = true;
    if (isIndexKey(k)) index = true;
  }
  if (first === undefined) return undefined;
  if (differ && index)
    throw new LoraValueError(`${where}: keys that match module '${m}' disagree and one is a number ('${Object.keys(pattern).filter(isIndexKey).join("', '")}'), whose place in the file's order is not kept; PEFT takes the first match: give '${m}' unambiguous keys`);
  return { key: first, value: pattern[first] };
}

/**
 * Ordered pattern entries that give each module of `values` its value under PEFT's first-match rule, and every other
 * module of `names` the default `dflt` (which it must also get from `values` when listed there). Exact module names
 * only, longest first and, at equal length, fewest dots first: a key that matches a module other than its own is
 * shorter (a dotted suffix) or as long with a '.' where the module has another character, so each module's own key
 * comes before every other key that matches it. A module that another key would reach gets an entry of its own.
 */
export function exactPatterns(values: Record<string, number>, dflt: number, names: string[], where: string): Record<string, number> {
  const want = (m: string): number => (Object.hasOwn(values, m) ? values[m] : dflt);
  const own = names.filter((m) => want(m) !== dflt);
  const keys = new Set(own);
  // A module that one of those keys reaches gets an entry of its own. One pass over them is enough: what such an added
  // entry reaches, the key that reached it reaches too (a name's only pattern character is '.'); the check below
  // refuses anything else (a name with other regex characters, which may not even match itself).
  for (const m of names) if (!keys.has(m) && own.some((k) => patternRegExp(k, where).test(m))) keys.add(m);
  const order = [...keys].sort((a, b) => b.length - a.length || dots(a) - dots(b) || (a < b ? -1 : 1));  // keys are distinct
  const out: Record<string, number> = {};
  for (const k of order) out[k] = want(k);
  for (const m of names) {
    const got = patternEntry(out, m, where)?.value ?? dflt;
    if (got !== want(m)) throw new LoraValueError(`${where}: module '${m}' cannot be given ${want(m)} by exact names under PEFT's first-match rule (it would get ${got})`);
  }
  return out;
}

function dots(s: string): number {
  let n = 0;
  for (const c of s) if (c === '.') n++;
  return n;
}
