/**
 * A strict JSON parser for safetensors headers, refusing what the reference (serde_json) refuses and more that
 * JSON.parse lets through silently: duplicate keys anywhere (the spec disallows them; JSON.parse keeps the last),
 * escapes that decode to lone surrogates (not Unicode text), numbers that overflow a double, and nesting deeper than
 * serde_json's recursion limit. Objects keep their members in order as data (a key such as `__proto__` is never a
 * prototype), and numbers keep their text (so the reader can tell `1` from `1.0` or `-0`, and read u64 exactly).
 */
import { LoraFormatError } from '../../errors';

/**
 * A JSON number as written, except plain non-negative integers of at most 15 digits (shapes and offsets, nearly
 * every number of a header), which are JS numbers: exact, and no object each.
 */
export class JsonNumber {
  constructor(readonly text: string) {}
}
export type Json = null | boolean | string | number | JsonNumber | Json[] | JsonObject;

/**
 * A JSON object's members in order. Parallel arrays rather than a Map: headers hold tens of thousands of small
 * objects, and a hash table each made parsing allocation-bound; duplicates are found by scanning while an object
 * is small, with a Set once it is not.
 */
export class JsonObject {
  readonly keys: string[] = [];
  readonly values: Json[] = [];
  private index: Set<string> | null = null;

  /** Adds a member; false (nothing added) when `key` is already there. */
  add(key: string, value: Json): boolean {
    if (this.index) {
      if (this.index.has(key)) return false;
      this.index.add(key);
    } else {
      if (this.keys.includes(key)) return false;
      if (this.keys.length >= 8) this.index = new Set(this.keys).add(key);
    }
    this.keys.push(key);
    this.values.push(value);
    return true;
  }

  has(key: string): boolean {
    return this.index ? this.index.has(key) : this.keys.includes(key);
  }

  get(key: string): Json | undefined {
    const i = this.keys.indexOf(key);
    return i < 0 ? undefined : this.values[i];
  }
}

/** serde_json's recursion limit: 128 levels of remaining depth, refused when it reaches 0, so 127 containers. */
export const MAX_DEPTH = 127;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
// Unescaped text runs up to a quote, a backslash or a control character (JSON requires those escaped).
// eslint-disable-next-line no-control-regex
const PLAIN = /[^"\\\u0000-\u001f]*/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const LITERALS = [['true', true], ['false', false], ['null', null]] as const;
const SHORT_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Parser {
  private i = 0;
  private depth = 0;

  constructor(private readonly s: string, private readonly what: string) {}

  fail(msg: string, at = this.i): never {
    throw new LoraFormatError(`${this.what}: header is not valid JSON: ${msg} at character ${at}`);
  }

  document(): Json {
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) this.fail('trailing characters after the value');
    return v;
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.i++;
    }
  }

  private value(): Json {
    this.ws();
    const c = this.s.charCodeAt(this.i);
    if (c === 0x7b) return this.object(); // {
    if (c === 0x5b) return this.array(); // [
    if (c === 0x22) return this.string(); // "
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number(); // - 0-9
    for (const [word, v] of LITERALS) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail(this.i >= this.s.length ? 'unexpected end' : `unexpected ${JSON.stringify(this.s[this.i])}`);
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    this.i++;
  }

  private object(): JsonObject {
    this.enter();
    const m = new JsonObject();
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
    } else {
      for (;;) {
        this.ws();
        const at = this.i;
        if (this.s[at] !== '"') this.fail('expected a string key');
        const k = this.string();
        this.ws();
        if (this.s[this.i] !== ':') this.fail("expected ':'");
        this.i++;
        if (!m.add(k, this.value())) this.fail(`duplicate key ${JSON.stringify(k)}`, at);
        this.ws();
        const c = this.s[this.i++];
        if (c === '}') break;
        if (c !== ',') this.fail("expected ',' or '}'", this.i - 1);
      }
    }
    this.depth--;
    return m;
  }

  private array(): Json[] {
    this.enter();
    const a: Json[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
    } else {
      for (;;) {
        a.push(this.value());
        this.ws();
        const c = this.s[this.i++];
        if (c === ']') break;
        if (c !== ',') this.fail("expected ',' or ']'", this.i - 1);
      }
    }
    this.depth--;
    return a;
  }

  private string(): string {
    const s = this.s;
    this.i++; // the opening quote
    // Fast path: no escape before the closing quote.
    for (let j = this.i; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c === 0x22) {
        const out = s.slice(this.i, j);
        this.i = j + 1;
        return out;
      }
      if (c === 0x5c || c < 0x20) break;
    }
    let out = '';
    for (;;) {
      PLAIN.lastIndex = this.i;
      out += PLAIN.exec(s)![0];
      this.i = PLAIN.lastIndex;
      const c = s[this.i];
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === undefined) this.fail('unterminated string');
      if (c !== '\\') this.fail('control character in a string (must be escaped)');
      out += this.escape();
    }
  }

  /** One escape sequence at this.i (the backslash); a \u escape of a surrogate must be half of a pair. */
  private escape(): string {
    const at = this.i;
    const e = this.s[this.i + 1];
    if (e !== 'u') {
      const short = e === undefined ? undefined : SHORT_ESCAPES[e];
      if (short === undefined) this.fail('invalid escape', at);
      this.i += 2;
      return short;
    }
    const hi = this.hex(this.i + 2);
    this.i += 6;
    if (hi >= 0xdc00 && hi <= 0xdfff) this.fail('lone low surrogate in a \\u escape', at);
    if (hi < 0xd800 || hi > 0xdbff) return String.fromCharCode(hi);
    if (this.s[this.i] !== '\\' || this.s[this.i + 1] !== 'u') this.fail('lone high surrogate in a \\u escape', at);
    const lo = this.hex(this.i + 2);
    if (lo < 0xdc00 || lo > 0xdfff) this.fail('lone high surrogate in a \\u escape', at);
    this.i += 6;
    return String.fromCharCode(hi, lo);
  }

  private hex(at: number): number {
    const h = this.s.slice(at, at + 4);
    if (!HEX4.test(h)) this.fail('invalid \\u escape', at - 2);
    return parseInt(h, 16);
  }

  private number(): number | JsonNumber {
    const s = this.s;
    let j = this.i, n = 0;
    for (let c = s.charCodeAt(j); c >= 0x30 && c <= 0x39 && j - this.i < 16; c = s.charCodeAt(++j)) n = n * 10 + (c - 0x30);
    const c = s.charCodeAt(j), len = j - this.i;
    // Digits only, ≤ 15 of them, no leading zero, not followed by a fraction or exponent: a plain integer.
    if (len > 0 && len <= 15 && (len === 1 || s.charCodeAt(this.i) !== 0x30) && c !== 0x2e && c !== 0x65 && c !== 0x45 && !(c >= 0x30 && c <= 0x39)) {
      this.i = j;
      return n;
    }
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail('invalid number');
    // serde_json parses every number (also in fields it ignores) and refuses one beyond a double's range.
    if (!Number.isFinite(Number(m[0]))) this.fail(`number out of range (${m[0].length > 40 ? `${m[0].slice(0, 40)}…` : m[0]})`);
    this.i = NUMBER.lastIndex;
    return new JsonNumber(m[0]);
  }
}

/** Parses `text` (already decoded from strict UTF-8); a LoraFormatError naming `what` and the position otherwise. */
export function parseStrictJson(text: string, what: string): Json {
  return new Parser(text, what).document();
}
