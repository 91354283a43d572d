/** Runs the `loraga` CLI's main() in-process, capturing what it prints (console and direct stdout/stderr writes). */
import { main } from '../../lib/cli';

export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const so = jest.spyOn(process.stdout, 'write').mockImplementation((s) => { out += s; return true; });
  const se = jest.spyOn(process.stderr, 'write').mockImplementation((s) => { err += s; return true; });
  const lo = jest.spyOn(console, 'log').mockImplementation((...a) => { out += a.join(' ') + '\n'; });
  const le = jest.spyOn(console, 'error').mockImplementation((...a) => { err += a.join(' ') + '\n'; });
  try {
    return { code: await main(args), out, err };
  } finally {
    so.mockRestore(); se.mockRestore(); lo.mockRestore(); le.mockRestore();
  }
}
