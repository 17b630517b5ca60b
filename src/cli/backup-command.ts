// `recorder backup verify`: the store and its backup tree compared recording by recording; --repair copies what
// is missing or differs (the same copy the service makes, safe beside it).
import type { Command } from 'commander';
import { loadCommandConfig } from './command-config.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';
import { openRecordings } from '../recordings/index.js';

interface Problem {
  readonly name: string;
  readonly state: 'missing' | 'different';
  readonly detail?: string;
  repaired?: boolean;
  repairError?: string;
}

export function registerBackupCommand(program: Command): void {
  const backup = program.command('backup').description('the backup tree ([storage] backup)');
  backup
    .command('verify')
    .description('compare every recording with its backup copy (files there, sizes equal, sidecars and notes equal); exit 1 when any differs')
    .option('-c, --config <file>', 'configuration file (the one recorder run uses)', 'recorder.toml')
    .option('--repair', 'copy the recordings whose backup is missing or differs')
    .option('--json', 'the result as JSON')
    .action(async (flags: { config: string; repair?: boolean; json?: boolean }) => {
      const { config, keyring } = await loadCommandConfig(flags.config, 'recorder backup verify', { checkPaths: false });
      if (config.storage.backup === undefined) {
        process.stderr.write(`recorder backup verify: ${flags.config} has no [storage] backup\n`);
        throw new CommandExit(EXIT_USAGE);
      }
      const recordings = await openRecordings(config, keyring, { follow: false });
      const problems: Problem[] = [];
      let checked = 0;
      let same = 0;
      try {
        for await (const entry of recordings.scan()) {
          checked++;
          const result = await recordings.backupState(entry);
          if (!result) break;
          if (result.state === 'unreachable') {
            process.stderr.write(`recorder backup verify: the backup tree ${config.storage.backup} cannot be read: ${result.detail ?? ''}\n`);
            throw new CommandExit(EXIT_FAILED);
          }
          if (result.state === 'same') same++;
          else problems.push({ name: entry.name, state: result.state, ...(result.detail !== undefined ? { detail: result.detail } : {}) });
        }
        if (flags.repair) {
          for (const problem of problems) {
            const outcome = await recordings.backupRecording(problem.name);
            if (outcome.status === 'copied') problem.repaired = true;
            else if (outcome.status === 'failed') problem.repairError = outcome.error;
          }
        }
        const onlyInBackup = await recordings.backupOnly();
        const unrepaired = problems.filter((p) => !p.repaired);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ checked, same, missing: problems.filter((p) => p.state === 'missing').length, different: problems.filter((p) => p.state === 'different').length, repaired: problems.length - unrepaired.length, problems, onlyInBackup })}\n`);
        } else {
          const missing = problems.filter((p) => p.state === 'missing').length;
          process.stdout.write(`${checked} recordings: ${same} with an equal backup copy, ${missing} missing in the backup, ${problems.length - missing} different${flags.repair ? `; ${problems.length - unrepaired.length} repaired` : ''}\n`);
          for (const p of problems.slice(0, 50)) process.stdout.write(`  ${p.name}: ${p.state}${p.detail ? ` (${p.detail})` : ''}${p.repaired ? ' — copied now' : p.repairError ? ` — not copied: ${p.repairError}` : ''}\n`);
          if (problems.length > 50) process.stdout.write(`  … and ${problems.length - 50} more (--json lists all)\n`);
          if (onlyInBackup.length > 0) process.stdout.write(`${onlyInBackup.length} files only in the backup (recordings deleted here since): ${onlyInBackup.slice(0, 5).join(', ')}${onlyInBackup.length > 5 ? ', …' : ''}\n`);
        }
        if (unrepaired.length > 0) throw new CommandExit(EXIT_FAILED);
      } finally {
        await recordings.close();
      }
    });
}
