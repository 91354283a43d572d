/**
 * Files written into a directory all or nothing. Each file goes to a hidden temporary sibling first
 * (`.<name>.tmp-<pid>-<n>`); commit() renames them into place only once every one is written, synchronously (no
 * signal handler or other JS can run between the renames) and in staging order, so stage the file loaders read
 * first (adapter_config.json) last. abort() removes the temporaries, and so does process exit for any still
 * staged: a failure or a signal never leaves old files mixed with new ones, nor temporary files behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensureDir, ioError } from './fs-errors';

const pendingTemps = new Set<string>();
let exitHooked = false;
let counter = 0;

function removeQuietly(p: string): void {
  try {
    fs.rmSync(p, { force: true });
  } catch {
    // best effort: the file system may itself be what failed
  }
  pendingTemps.delete(p);
}

export class StagedDir {
  private readonly staged: [name: string, tmp: string][] = [];

  constructor(readonly dir: string) {
    ensureDir(dir);
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', () => { for (const t of [...pendingTemps]) removeQuietly(t); });
    }
  }

  /** The temporary path to write `name` to (the file appears as `name` at commit()). */
  path(name: string): string {
    const tmp = path.join(this.dir, `.${name}.tmp-${process.pid}-${++counter}`);
    this.staged.push([name, tmp]);
    pendingTemps.add(tmp);
    return tmp;
  }

  async writeFile(name: string, data: string | Uint8Array): Promise<void> {
    const tmp = this.path(name);
    try {
      await fs.promises.writeFile(tmp, data);
    } catch (e) {
      throw ioError(e, path.join(this.dir, name), 'write');
    }
  }

  /** Flushes every staged file to disk, then renames each into place. */
  commit(): void {
    try {
      for (const [, tmp] of this.staged) {
        const fd = fs.openSync(tmp, 'r+');
        try {
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      }
    } catch (e) {
      this.abort();
      throw ioError(e, this.dir, 'write into');
    }
    for (const [name, tmp] of this.staged) {
      try {
        fs.renameSync(tmp, path.join(this.dir, name));
      } catch (e) {
        this.abort();
        throw ioError(e, path.join(this.dir, name), 'write');
      }
      pendingTemps.delete(tmp);
    }
    this.staged.length = 0;
  }

  /** Removes every staged file; what was in the directory before stays as it was. */
  abort(): void {
    for (const [, tmp] of this.staged) removeQuietly(tmp);
    this.staged.length = 0;
  }
}
