/**
 * The `loraga` command itself: --version, help, and the exit codes the README's table promises
 * (0 success, 1 the command failed, 2 usage error, 3 internal error, 130 interrupted).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LoraAbortError, LoraFormatError } from '../lib';
import { main, registerCommand } from '../lib/cli';

const root = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Runs main() in-process, capturing console output. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const lo = jest.spyOn(console, 'log').mockImplementation((...a) => { out += a.join(' ') + '\n'; });
  const le = jest.spyOn(console, 'error').mockImplementation((...a) => { err += a.join(' ') + '\n'; });
  try {
    return { code: await main(args), out, err };
  } finally {
    lo.mockRestore(); le.mockRestore();
  }
}

const fail = (e: unknown) => ({ summary: 'test command', help: 'usage: loraga t', flags: {}, run: async () => { throw e; } });
registerCommand('t-format', () => fail(new LoraFormatError('bad file')));
registerCommand('t-abort', () => fail(new LoraAbortError('cancelled')));
registerCommand('t-bug', () => fail(new TypeError('x is undefined')));

describe('loraga CLI', () => {
  test.each(['--version', '-v', 'version'])('%s prints the package version, exit 0', async (flag) => {
    const r = await cli([flag]);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(pkg.version);
  });

  test('help lists the commands, --version and the exit codes; exit 0', async () => {
    const r = await cli(['help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}init /m);
    expect(r.out).toMatch(/^ {2}doctor /m);
    expect(r.out).toMatch(/--version/);
    expect(r.out).toMatch(/exit codes: 0 success, 1 the command failed, 2 usage error, 3 internal error, 130 interrupted/);
    expect((await cli(['init', '--help'])).code).toBe(0);
  });

  test.each([
    [[], /usage: loraga <command>/],
    [['nope'], /unknown command 'nope'/],
    [['doctor', '--nope'], /unknown flag --nope/],
    [['init', '--rank', 'four'], /--rank expects a number, got 'four'/],
    [['init', '--rank', '4'], /missing required flag --weights/],
    [['init', 'stray'], /unexpected argument 'stray'/],
  ])('usage error %j: exit 2 with the reason on stderr', async (args, msg) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg as RegExp);
  });

  test('a failing command (LoraError, or a file that does not exist) exits 1', async () => {
    const f = await cli(['t-format']);
    expect(f.code).toBe(1);
    expect(f.err).toMatch(/^loraga t-format: LoraFormatError: bad file/);
    const missing = path.join(os.tmpdir(), 'loraga-no-such-file.safetensors');
    const r = await cli(['init', '--weights', missing, '--grads', missing, '--rank', '4', '--alpha', '8', '--out', path.join(os.tmpdir(), 'x')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ENOENT/);
    expect(r.err).not.toMatch(/bug/);
  });

  test('an unexpected error exits 3 and says it is a bug; an interrupted command exits 130', async () => {
    const b = await cli(['t-bug']);
    expect(b.code).toBe(3);
    expect(b.err).toMatch(/internal error: x is undefined/);
    expect(b.err).toMatch(/bug in loraga/);
    expect((await cli(['t-abort'])).code).toBe(130);
  });

  const bin = path.join(root, 'dist', 'cli', 'index.js');
  (fs.existsSync(bin) ? test : test.skip)('the built bin: --version and a usage error exit code', () => {
    const v = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
    expect(spawnSync(process.execPath, [bin, 'nope'], { encoding: 'utf8' }).status).toBe(2);
  });
});
