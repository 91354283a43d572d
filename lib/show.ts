/**
 * Values for error messages. A message about a bad option must not itself throw: JSON.stringify throws on a BigInt
 * and on cycles, and a template literal throws on a Symbol, which would turn a typed LoraError into a TypeError.
 */

/** A value for an error message: never throws on BigInt, symbols or cyclic arrays. */
export function show(x: unknown, depth = 0): string {
  if (Array.isArray(x)) return depth >= 4 ? '[…]' : `[${x.map((v) => show(v, depth + 1)).join(', ')}]`;
  if (typeof x === 'string') return JSON.stringify(x);
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'symbol') return x.toString();
  if (x === null || typeof x !== 'object') return String(x);
  return Object.prototype.toString.call(x);
}

/** JSON where JSON.stringify can write the value (so messages and comparisons keep their JSON form), else show(x). */
export function showJson(x: unknown): string {
  try {
    const s = JSON.stringify(x) as string | undefined;  // undefined for undefined, functions and symbols
    return s === undefined ? show(x) : s;
  } catch {
    return show(x);
  }
}

/** String(x) as a message writes it, except that it never throws (an object without a prototype, a throwing toString). */
export function str(x: unknown): string {
  try {
    return String(x);
  } catch {
    return Object.prototype.toString.call(x);
  }
}
