/**
 * File-system failures as LoraIOError: the path, what was being done, and the system's reason in words. Node's
 * own messages name the syscall but not always the file a user gave (EISDIR, EROFS), and a plain Error is not
 * the typed error the API promises.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LoraError, LoraIOError } from '../errors';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/** `e` as a LoraIOError about `file` (returned unchanged when it is not a file-system error). */
export function ioError(e: unknown, file: string, doing: string): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || e instanceof LoraError) return e;  // LoraErrors carry a code too: already typed
  return new LoraIOError(`cannot ${doing} ${file}: ${REASONS[code] ?? (e as Error).message} (${code})`, file, code);
}

/** Runs fn, turning a file-system error into a LoraIOError about `file`. */
export function withIO<T>(file: string, doing: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw ioError(e, file, doing);
  }
}

/**
 * mkdir -p that names the real reason: Node's recursive mkdir reports ENOENT for a parent it cannot create on a
 * read-only file system. Creates each missing ancestor in turn, so the error is about the directory that failed.
 */
export function ensureDir(dir: string): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, d, 'create directory');
    }
    if (st) {
      if (!st.isDirectory()) throw new LoraIOError(`cannot create directory ${dir}: ${d} is not a directory (ENOTDIR)`, d, 'ENOTDIR');
      break;
    }
    missing.push(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const m of missing.reverse()) {
    try {
      fs.mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(e, m, 'create directory');
    }
  }
}
