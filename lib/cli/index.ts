#!/usr/bin/env node
/**
 * The `loraga` command. Each subcommand lives in its own file under lib/cli/ and registers itself in COMMANDS:
 *   loraga <command> [flags]      loraga help      loraga --version
 * Exit codes (the README's table): 0 success; 1 the command failed (bad input files or option values, a LoraError,
 * a file-system error; doctor: the native binary does not load); 2 usage error (no or unknown command, unknown or
 * missing flag, malformed flag value); 3 unexpected internal error (a bug: LORAGA_DEBUG=1 prints the stack);
 * 130 interrupted (Ctrl-C during `init`).
 */
import { LoraAbortError, LoraError } from '../errors';
import { Command, Flags, packageVersion, parseFlags } from './args';

const EXIT = { ok: 0, failed: 1, usage: 2, internal: 3, interrupted: 130 } as const;

const COMMANDS: Record<string, () => Command> = {
  // Filled by lib/cli/<name>.ts modules, e.g. init: () => require('./init').command
  /* eslint-disable @typescript-eslint/no-require-imports -- each command is loaded only when run */
  init: () => require('./init').command,
  doctor: () => require('./doctor').command,
  export: () => require('./export').command,
  /* eslint-enable @typescript-eslint/no-require-imports */
};

export function registerCommand(name: string, load: () => Command): void {
  COMMANDS[name] = load;
}

function usage(): string {
  const lines = ['usage: loraga <command> [flags]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${load().summary}`);
  lines.push(`  ${'help'.padEnd(10)} this text; 'loraga <command> --help' for a command's flags`);
  lines.push('', `  ${'--version'.padEnd(10)} print the version (${packageVersion()})`);
  lines.push('', 'exit codes: 0 success, 1 the command failed, 2 usage error, 3 internal error, 130 interrupted');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(packageVersion());
    return EXIT.ok;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return EXIT.ok;
  }
  if (!name) {
    console.error(usage());
    return EXIT.usage;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`loraga: unknown command '${name}'\n\n${usage()}`);
    return EXIT.usage;
  }
  const cmd = load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd.help);
    return EXIT.ok;
  }
  let flags: Flags;
  try {
    flags = parseFlags(rest, cmd.flags);
  } catch (e) {
    console.error(`loraga ${name}: ${(e as Error).message}\n('loraga ${name} --help' lists the flags)`);
    return EXIT.usage;
  }
  try {
    return await cmd.run(flags);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const expected = e instanceof LoraError || typeof err.code === 'string';  // ours, or ENOENT/EACCES/… from fs
    const kind = e instanceof LoraError ? `${err.name}: ` : expected ? '' : 'internal error: ';  // fs messages start with the code
    console.error(`loraga ${name}: ${kind}${err.message}`);
    if (!expected) console.error('this is a bug in loraga: please report it with the output of LORAGA_DEBUG=1');
    if (process.env.LORAGA_DEBUG) console.error(err.stack);
    if (e instanceof LoraAbortError) return EXIT.interrupted;
    return expected ? EXIT.failed : EXIT.internal;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
