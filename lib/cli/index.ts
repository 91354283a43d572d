#!/usr/bin/env node
/**
 * The `loraga` command. Each subcommand lives in its own file under lib/cli/ and registers itself in COMMANDS:
 *   loraga <command> [flags]      loraga help
 */
import { LoraError } from '../errors';
import { Command, parseFlags } from './args';

const COMMANDS: Record<string, () => Command> = {
  // Filled by lib/cli/<name>.ts modules, e.g. init: () => require('./init').command
  /* eslint-disable @typescript-eslint/no-require-imports -- each command is loaded only when run */
  init: () => require('./init').command,
  doctor: () => require('./doctor').command,
  /* eslint-enable @typescript-eslint/no-require-imports */
};

export function registerCommand(name: string, load: () => Command): void {
  COMMANDS[name] = load;
}

function usage(): string {
  const lines = ['usage: loraga <command> [flags]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${load().summary}`);
  lines.push(`  ${'help'.padEnd(10)} this text; 'loraga <command> --help' for a command's flags`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`loraga: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const cmd = load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd.help);
    return 0;
  }
  try {
    return await cmd.run(parseFlags(rest, cmd.flags));
  } catch (e) {
    const err = e as Error;
    const kind = e instanceof LoraError ? `${err.name}` : 'error';
    console.error(`loraga ${name}: ${kind}: ${err.message}`);
    if (process.env.LORAGA_DEBUG) console.error(err.stack);
    return e instanceof LoraError ? 1 : 3;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
