/**
 * File-system failures are LoraIOErrors that name the file and the reason in words (lib/io/fs-errors.ts), and a
 * StagedDir writes its files into a directory all or nothing (lib/io/staged-dir.ts): hidden temporaries until
 * commit(), renamed into place in staging order, none left behind by abort() or a failed commit().
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LoraIOError, LoraValueError } from '../lib';
import { ensureDir, ioError, withIO } from '../lib/io/fs-errors';
import { StagedDir } from '../lib/io/staged-dir';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loraga-fs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const errno = (code: string, message = `${code}: something, open`) => Object.assign(new Error(message), { code });

describe('file-system errors in words', () => {
  test.each([
    ['ENOENT', 'no such file or directory'], ['EISDIR', 'is a directory'], ['ENOTDIR', 'a parent is not a directory'],
    ['EACCES', 'permission denied'], ['EPERM', 'operation not permitted'], ['EROFS', 'read-only file system'],
    ['ENOSPC', 'no space left on device'], ['EDQUOT', 'disk quota exceeded'], ['EEXIST', 'already exists'],
    ['EMFILE', 'too many open files'], ['EIO', 'input/output error'],
  ])('%s: "cannot <doing> <file>: %s (%s)", a LoraIOError with the file and the code', (code, words) => {
    const e = ioError(errno(code), '/data/x.safetensors', 'write') as LoraIOError;
    expect(e).toBeInstanceOf(LoraIOError);
    expect(e.message).toBe(`cannot write /data/x.safetensors: ${words} (${code})`);
    expect({ path: e.path, errno: e.errno }).toEqual({ path: '/data/x.safetensors', errno: code });
  });

  test("another code keeps Node's message; an error without a code, or already a LoraError, is returned as it is", () => {
    expect((ioError(errno('ELOOP', 'ELOOP: too many symbolic links'), '/a', 'read') as Error).message).toBe('cannot read /a: ELOOP: too many symbolic links (ELOOP)');
    const plain = new Error('not a file-system error');
    expect(ioError(plain, '/a', 'read')).toBe(plain);
    const typed = new LoraValueError('already typed');
    expect(ioError(typed, '/a', 'read')).toBe(typed);
    expect(ioError(null, '/a', 'read')).toBeNull();
  });

  test('withIO returns what the function returns and turns its file-system error into a LoraIOError about the file', () => {
    expect(withIO('/a', 'read', () => 42)).toBe(42);
    expect(() => withIO('/a', 'open', () => { throw errno('EACCES'); })).toThrow(new LoraIOError('cannot open /a: permission denied (EACCES)', '/a', 'EACCES'));
  });
});

describe('ensureDir (mkdir -p naming the directory that failed)', () => {
  test('creates every missing level; an existing directory is fine', () => {
    const d = path.join(tmp, 'a', 'b', 'c');
    ensureDir(d);
    expect(fs.statSync(d).isDirectory()).toBe(true);
    ensureDir(d);
    ensureDir(path.join(tmp, 'a'));
  });

  test('makes only the missing levels, outermost first, and nothing at all when the directory exists', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, not an import wrapper
    const nodeFs = require('fs') as typeof fs;
    const real = nodeFs.mkdirSync;
    const base = path.join(tmp, 'only-missing');
    fs.mkdirSync(base);
    const made: string[] = [];
    const spy = jest.spyOn(nodeFs, 'mkdirSync').mockImplementation(((p: fs.PathLike, o?: fs.MakeDirectoryOptions) => {
      made.push(String(p));
      return String(p).startsWith(tmp) ? real(p, o) : undefined; // anything else would be a stray directory: recorded, not made
    }) as typeof fs.mkdirSync);
    try {
      ensureDir(path.join(base, 'x', 'y'));
      expect(made).toEqual([path.join(base, 'x'), path.join(base, 'x', 'y')]);
      made.length = 0;
      ensureDir(path.join(base, 'x', 'y'));
      ensureDir(base);
      expect(made).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });

  test('a file where a directory should be is ENOTDIR naming the path that failed', () => {
    const f = path.join(tmp, 'plain-file');
    fs.writeFileSync(f, 'x');
    const caught = (dir: string) => {
      try { ensureDir(dir); } catch (e) { return { type: (e as Error).constructor.name, message: (e as Error).message, path: (e as LoraIOError).path, errno: (e as LoraIOError).errno }; }
      return null;
    };
    expect(caught(f)).toEqual({ type: 'LoraIOError', message: `cannot create directory ${f}: ${f} is not a directory (ENOTDIR)`, path: f, errno: 'ENOTDIR' });
    const below = path.join(f, 'sub', 'dir');
    expect(caught(below)).toEqual({ type: 'LoraIOError', message: `cannot create directory ${below}: a parent is not a directory (ENOTDIR)`, path: below, errno: 'ENOTDIR' });
  });
});

describe('StagedDir: all or nothing', () => {
  const list = (d: string) => fs.readdirSync(d).sort();

  test('files are hidden temporaries until commit(), then appear under their names with their bytes; no temporaries remain', async () => {
    const dir = path.join(tmp, 'stage-ok');
    const s = new StagedDir(dir);
    await s.writeFile('b.json', '{"b":1}');
    const tmpA = s.path('a.bin');
    fs.writeFileSync(tmpA, Buffer.from([1, 2, 3]));
    expect(path.dirname(tmpA)).toBe(dir);
    expect(path.basename(tmpA)).toMatch(new RegExp(`^\\.a\\.bin\\.tmp-${process.pid}-\\d+$`));
    expect(list(dir).every((f) => f.startsWith('.'))).toBe(true);
    s.commit();
    expect(list(dir)).toEqual(['a.bin', 'b.json']);
    expect(fs.readFileSync(path.join(dir, 'b.json'), 'utf8')).toBe('{"b":1}');
    expect([...fs.readFileSync(path.join(dir, 'a.bin'))]).toEqual([1, 2, 3]);
    s.commit(); // nothing left to commit
    expect(list(dir)).toEqual(['a.bin', 'b.json']);
  });

  test('two staged files get distinct temporaries', () => {
    const s = new StagedDir(path.join(tmp, 'stage-two'));
    expect(s.path('x')).not.toBe(s.path('x'));
    s.abort();
  });

  test('abort() removes every temporary and leaves what was there', async () => {
    const dir = path.join(tmp, 'stage-abort');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.json'), 'old');
    const s = new StagedDir(dir);
    await s.writeFile('a.json', 'new');
    await s.writeFile('b.json', 'new');
    s.abort();
    expect(list(dir)).toEqual(['a.json']);
    expect(fs.readFileSync(path.join(dir, 'a.json'), 'utf8')).toBe('old');
    s.commit(); // aborted: nothing is renamed
    expect(list(dir)).toEqual(['a.json']);
  });

  test('a staged file that is gone at commit(): LoraIOError about the directory, the others removed, nothing renamed', async () => {
    const dir = path.join(tmp, 'stage-gone');
    const s = new StagedDir(dir);
    await s.writeFile('a.json', 'a');
    s.path('b.json'); // never written
    expect(() => s.commit()).toThrow(new LoraIOError(`cannot write into ${dir}: no such file or directory (ENOENT)`, dir, 'ENOENT'));
    expect(list(dir)).toEqual([]);
  });

  test('a name that cannot be renamed into place: LoraIOError naming it; files renamed before it stay, later ones are removed', async () => {
    const dir = path.join(tmp, 'stage-blocked');
    fs.mkdirSync(path.join(dir, 'b.json', 'inside'), { recursive: true }); // a non-empty directory where b.json goes
    const s = new StagedDir(dir);
    await s.writeFile('a.json', 'a');
    await s.writeFile('b.json', 'b');
    await s.writeFile('c.json', 'c');
    let err: unknown;
    try { s.commit(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(LoraIOError);
    expect((err as LoraIOError).message).toMatch(new RegExp(`^cannot write ${path.join(dir, 'b.json').replace(/[.]/g, '\\.')}: `));
    expect(list(dir)).toEqual(['a.json', 'b.json']);
    expect(fs.statSync(path.join(dir, 'b.json')).isDirectory()).toBe(true);
  });

  test('a failed writeFile is a LoraIOError naming the file as it would be called', async () => {
    const dir = path.join(tmp, 'stage-write-fail');
    const s = new StagedDir(dir);
    fs.rmSync(dir, { recursive: true }); // the directory vanished under it
    await expect(s.writeFile('a.json', 'a')).rejects.toThrow(new LoraIOError(`cannot write ${path.join(dir, 'a.json')}: no such file or directory (ENOENT)`, '', 'ENOENT'));
    s.abort();
  });

  test("process exit removes the temporaries still staged, from one 'exit' listener however many StagedDirs there are", async () => {
    // A fresh copy of the module (this file's StagedDirs have already hooked exit), and the listeners it adds.
    const before = process.listeners('exit');
    let Fresh!: typeof StagedDir;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module instance, not an import wrapper
      Fresh = (require('../lib/io/staged-dir') as { StagedDir: typeof StagedDir }).StagedDir;
    });
    const dir = path.join(tmp, 'stage-exit');
    const staged = [new Fresh(dir), new Fresh(dir), new Fresh(dir)];
    await staged[0].writeFile('a.json', 'a');
    await staged[2].writeFile('b.json', 'b');
    const added = process.listeners('exit').filter((l) => !before.includes(l));
    try {
      expect(added).toHaveLength(1); // not one per StagedDir (one per adapter write): the 11th would draw MaxListenersExceededWarning
      expect(list(dir)).toHaveLength(2);
      added[0].call(process, 0); // what the process runs as it exits
      expect(list(dir)).toEqual([]);
    } finally {
      for (const l of added) process.off('exit', l);
    }
  });
});

describe('ensureDir racing another creator', () => {
  const errno = (code: string) => Object.assign(new Error(`${code}: fake`), { code });

  test('a directory created by someone else between the check and mkdir (EEXIST) is fine; another mkdir error names the directory', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, not an import wrapper
    const nodeFs = require('fs') as typeof fs;
    const real = nodeFs.mkdirSync;
    const target = path.join(tmp, 'race', 'inner');
    // The first mkdir (of tmp/race) loses the race: the directory appears, and mkdir reports EEXIST.
    let calls = 0;
    const spy = jest.spyOn(nodeFs, 'mkdirSync').mockImplementation(((p: fs.PathLike, o?: fs.MakeDirectoryOptions) => {
      if (calls++ === 0) {
        real(p, o);
        throw errno('EEXIST');
      }
      return real(p, o);
    }) as typeof fs.mkdirSync);
    try {
      ensureDir(target);
      expect(fs.statSync(target).isDirectory()).toBe(true);
      spy.mockImplementation((() => { throw errno('EACCES'); }) as typeof fs.mkdirSync);
      const other = path.join(tmp, 'race2');
      expect(() => ensureDir(other)).toThrow(LoraIOError);
      expect(() => ensureDir(other)).toThrow(`cannot create directory ${other}: `);
    } finally {
      spy.mockRestore();
    }
  });
});
