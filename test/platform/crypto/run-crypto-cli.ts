// Runs the crypto commands alone (src/cli/index.ts registers them in the real program), exiting with main's codes.
import { Command, CommanderError } from 'commander';
import { registerCryptoCommands } from '../../../src/cli/crypto-commands.js';
import { CommandExit } from '../../../src/cli/index.js';

export async function runCryptoCli(argv: readonly string[]): Promise<number> {
  const program = new Command('recorder').exitOverride().configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerCryptoCommands(program);
  const all = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(all);
  };
  all(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommandExit) return error.exitCode;
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(`recorder: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  process.exitCode = await runCryptoCli(process.argv.slice(2));
}
