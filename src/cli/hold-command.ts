import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { LEGAL_HOLDS_FILE, LegalHolds, StoreError, openRecordings, parseRecordingName } from '../recordings/index.js';
import type { HoldScope, LegalHold } from '../recordings/index.js';
import { auditCommand, commandUser, loadCommandConfig } from './command-config.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE, usageError } from './exit-codes.js';

interface HoldFlags {
  config: string;
  by?: string;
  json?: boolean;
}

const refuse = (message: string): never => usageError('recorder hold', message);

/** `2026-12-04` or `2026-12-04 10:00` (the store's wall clock); a bare day as `to` runs to its last minute. */
function wallTime(text: string, option: string, endOfDay: boolean): string {
  const value = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value} ${endOfDay ? '23:59' : '00:00'}`;
  if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}$/.test(value)) return value.replace('T', ' ');
  return refuse(`${option}: expected YYYY-MM-DD or "YYYY-MM-DD HH:MM" (the store's time zone), got ${JSON.stringify(text)}`);
}

function describe(hold: LegalHold): string {
  const scope = hold.scope;
  const what = scope.kind === 'recording' ? `recording ${scope.recording}` : scope.kind === 'agent' ? `agent ${scope.agent}` : `period ${scope.from} … ${scope.to}`;
  const state = hold.released ? `released by ${hold.released.by} at ${hold.released.at}: ${hold.released.reason}` : 'in force';
  return `${hold.id}  ${what} — placed by ${hold.placedBy} at ${hold.placedAt}: ${hold.reason} — ${state}`;
}

type LoadedConfig = Awaited<ReturnType<typeof loadCommandConfig>>;

/** Holds of the configured store, and who changes them. */
async function open(flags: HoldFlags, command: string): Promise<LoadedConfig & { holds: LegalHolds; by: string }> {
  const { config, keyring } = await loadCommandConfig(flags.config, command);
  return {
    holds: new LegalHolds(join(dirname(config.storage.indexPath), LEGAL_HOLDS_FILE), { fourEyes: config.storage.fourEyesHolds }),
    by: commandUser(flags.by, command).user,
    config,
    keyring,
  };
}

async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StoreError) {
      process.stderr.write(`recorder hold: ${error.message}\n`);
      throw new CommandExit(error.code === 'bad-input' ? EXIT_USAGE : EXIT_FAILED);
    }
    throw error;
  }
}

/** `recorder hold place|list|release`: legal holds, which retention and users' deletions respect. */
export function registerHoldCommand(program: Command): void {
  const hold = program.command('hold').description('legal holds: keep a recording, an agent\'s recordings or a period from any deletion until released');
  const common = (command: Command): Command =>
    command.option('-c, --config <file>', 'configuration file (the same as recorder run)', 'recorder.toml').option('--by <name>', 'who (default: your user name); written to the audit trail');

  common(hold.command('place'))
    .description('place a hold (exactly one of --recording, --agent, --from/--to) with a reason')
    .option('--recording <name>', 'one recording (its call: a later TAN rename stays held)')
    .option('--agent <number>', "every recording of this agent's number")
    .option('--from <time>', 'a period: YYYY-MM-DD or "YYYY-MM-DD HH:MM" in the store\'s time zone')
    .option('--to <time>', 'end of the period (a bare day: to its end)')
    .requiredOption('--reason <text>', 'why (a case number, a request): required')
    .option('--json', 'print the hold as JSON')
    .action(async (flags: HoldFlags & { recording?: string; agent?: string; from?: string; to?: string; reason: string }) => {
      const kinds = [flags.recording !== undefined, flags.agent !== undefined, flags.from !== undefined || flags.to !== undefined].filter(Boolean).length;
      if (kinds !== 1) refuse('give exactly one of --recording, --agent, or --from with --to');
      if ((flags.from === undefined) !== (flags.to === undefined)) refuse(`${flags.from === undefined ? '--from' : '--to'}: a period needs both --from and --to`);
      const { holds, by, config, keyring } = await open(flags, 'recorder hold place');
      let scope: HoldScope;
      if (flags.recording !== undefined) {
        const name = flags.recording;
        const recordings = await openRecordings(config, keyring, { follow: false });
        try {
          if (!recordings.row(name)) refuse(`--recording: no recording ${JSON.stringify(name)} in ${config.storage.root}`);
        } finally {
          await recordings.close();
        }
        scope = { kind: 'recording', callId: parseRecordingName(name).callId, recording: name };
      } else if (flags.agent !== undefined) scope = { kind: 'agent', agent: flags.agent };
      else scope = { kind: 'period', from: wallTime(flags.from!, '--from', false), to: wallTime(flags.to!, '--to', true) };
      const placed = await storeCall(() => holds.place(scope, flags.reason, by));
      await auditCommand({ config, keyring }, by, [{ action: 'hold-place', detail: { hold: placed.id, ...scope, reason: placed.reason } }]);
      process.stdout.write(flags.json ? `${JSON.stringify(placed, null, 2)}\n` : `${describe(placed)}\n`);
    });

  common(hold.command('release'))
    .description('release a hold with a reason (four-eyes: not by who placed it, when storage.fourEyesHolds is on)')
    .argument('<id>', 'the hold, e.g. H-0123456789')
    .requiredOption('--reason <text>', 'why: required')
    .option('--json', 'print the hold as JSON')
    .action(async (id: string, flags: HoldFlags & { reason: string }) => {
      const { holds, by, config, keyring } = await open(flags, 'recorder hold release');
      const released = await storeCall(() => holds.release(id, flags.reason, by));
      await auditCommand({ config, keyring }, by, [{ action: 'hold-release', detail: { hold: released.id, reason: released.released!.reason, placedBy: released.placedBy } }]);
      process.stdout.write(flags.json ? `${JSON.stringify(released, null, 2)}\n` : `${describe(released)}\n`);
    });

  hold
    .command('list')
    .description('the holds in force (--all: released ones too)')
    .option('-c, --config <file>', 'configuration file (the same as recorder run)', 'recorder.toml')
    .option('--all', 'released holds too')
    .option('--json', 'print as JSON')
    .action(async (flags: HoldFlags & { all?: boolean }) => {
      const { config } = await loadCommandConfig(flags.config, 'recorder hold list');
      const holds = new LegalHolds(join(dirname(config.storage.indexPath), LEGAL_HOLDS_FILE));
      const list = await storeCall(() => (flags.all ? holds.list() : holds.active()));
      if (flags.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else process.stdout.write(list.length === 0 ? 'no holds\n' : `${list.map(describe).join('\n')}\n`);
    });
}
