// `recorder status` and `recorder alarm …`: the running service's lamps and master alarm, from outside its process.
import type { Command } from 'commander';
import { Argument } from 'commander';
import { hostname } from 'node:os';
import { loadCommandConfig } from './command-config.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';
import { ALARM_ACTIONS, AlarmMailer, LAMP_NAMES, STATUS_STALE_MS, queueAlarmCommand, readStatus } from '../recorder/service/index.js';
import type { AlarmAction, StatusSnapshot } from '../recorder/service/index.js';
import { pino } from 'pino';

/** Exit codes as monitoring plugins read them: 0 all well, 1 master alarm latched (lamps green now), 2 a lamp red, 3 not running. */
export const STATUS_EXIT = { ok: 0, latched: 1, red: 2, unknown: 3 } as const;

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

function describe(status: StatusSnapshot, ageMs: number): string {
  const lines = [`Recorder service on ${status.host}, pid ${status.pid}, running since ${status.startedAt} (status ${ago(ageMs)})`];
  const master = status.master;
  const trigger = master.state === 'triggered' && master.triggeredBy ? `: ${master.triggeredBy.subject} ${master.triggeredBy.to}${master.triggeredBy.reason ? ` - ${master.triggeredBy.reason}` : ''}` : '';
  lines.push(`Master alarm  ${master.state.toUpperCase()} since ${master.since}${trigger}`);
  for (const lamp of LAMP_NAMES) {
    const colour = status.lamps[lamp];
    const reason = colour === 'red' ? status.reasons[lamp] : undefined;
    lines.push(`  ${lamp.padEnd(9)} ${colour}${reason ? `  ${reason}` : ''}`);
  }
  lines.push(`Channels in recording ${status.channelsInRecording}; captures waiting ${status.capturesWaiting}${status.nextRetryAt ? `; next retry ${status.nextRetryAt}` : ''}`);
  if (status.disk) lines.push(`Store disk: ${(status.disk.freeBytes / 1e9).toFixed(1)} GB free of ${(status.disk.totalBytes / 1e9).toFixed(1)} GB (${status.disk.path})`);
  const c = status.counters;
  lines.push(`Since start: ${c.captured} captured, ${c.filed} filed, ${c.discarded} discarded, ${c.quarantined} quarantined`);
  const cluster = status.cluster;
  if (cluster) {
    lines.push(
      cluster.reachable
        ? `Job queue ${cluster.redis}: ${cluster.workers} worker connection(s); ${cluster.waiting} waiting, ${cluster.active} converting, ${cluster.delayed} to retry, ${cluster.failed} failed`
        : `Job queue ${cluster.redis}: NOT REACHABLE (${cluster.error ?? 'no answer'}); conversions wait`,
    );
    if (cluster.deadLetters.length > 0) lines.push('Failed on every try (captures in the quarantine):', ...cluster.deadLetters.slice(0, 5).map((d) => `  ${d.capture} (${d.attempts} tries, ${d.at}): ${d.reason}`));
  }
  if (status.recentErrors.length > 0) lines.push('Recent errors:', ...status.recentErrors.slice(-5).map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

export function registerStatusCommands(program: Command): void {
  program
    .command('status')
    .description("the running service's lamps, master alarm, channels and disk (exit 0 well, 1 alarm latched, 2 a lamp red, 3 not running)")
    .option('-c, --config <file>', 'configuration file (the one recorder run uses)', 'recorder.toml')
    .option('--json', 'the status as JSON')
    .action(async (flags: { config: string; json?: boolean }) => {
      const { config } = await loadCommandConfig(flags.config, 'recorder status', { checkPaths: false });
      const reading = await readStatus(config.storage.workDir);
      if (reading.kind !== 'found') {
        const why = reading.kind === 'missing' ? `no status in ${config.storage.workDir}: the service has not run with this configuration` : `the status file cannot be read: ${reading.reason}`;
        if (flags.json) process.stdout.write(`${JSON.stringify({ running: false, reason: why })}\n`);
        else process.stderr.write(`recorder status: ${why}\n`);
        throw new CommandExit(STATUS_EXIT.unknown);
      }
      const { status, ageMs, running } = reading;
      if (flags.json) process.stdout.write(`${JSON.stringify({ running, ageMs, ...status })}\n`);
      else if (!running) process.stderr.write(`recorder status: the service is not running: its last status is from ${status.at} (${ago(ageMs)}; it writes one every few seconds)\n\n${describe(status, ageMs)}`);
      else process.stdout.write(describe(status, ageMs));
      if (!running) throw new CommandExit(STATUS_EXIT.unknown);
      if (LAMP_NAMES.some((lamp) => status.lamps[lamp] === 'red')) throw new CommandExit(STATUS_EXIT.red);
      if (status.master.state === 'triggered') throw new CommandExit(STATUS_EXIT.latched);
    });

  program
    .command('alarm')
    .description('the master alarm: reset (acknowledge: armed again), off (silence: no alarm, no mail), on (armed again after off), test-mail')
    .addArgument(new Argument('<action>', `${ALARM_ACTIONS.join(', ')} or test-mail`).choices([...ALARM_ACTIONS, 'test-mail']))
    .option('-c, --config <file>', 'configuration file (the one recorder run uses)', 'recorder.toml')
    .action(async (action: string, flags: { config: string }) => {
      const { config } = await loadCommandConfig(flags.config, 'recorder alarm', { checkPaths: false });
      if (action === 'test-mail') {
        const mail = config.alarm?.mail;
        if (!mail) {
          process.stderr.write(`recorder alarm test-mail: ${flags.config} has no [alarm.mail]\n`);
          throw new CommandExit(EXIT_USAGE);
        }
        const mailer = new AlarmMailer({ settings: mail, log: pino({ level: 'silent' }) });
        try {
          const answer = await mailer.sendTest();
          process.stdout.write(`test mail sent to ${mail.to.join(', ')} through ${mail.host}:${mail.port} (${answer})\n`);
        } catch (error) {
          process.stderr.write(`recorder alarm test-mail: ${mail.host}:${mail.port} refused it: ${error instanceof Error ? error.message : String(error)}\n`);
          throw new CommandExit(EXIT_FAILED);
        } finally {
          await mailer.close();
        }
        return;
      }
      if (!(ALARM_ACTIONS as readonly string[]).includes(action)) {
        process.stderr.write(`recorder alarm: unknown action ${JSON.stringify(action)}; expected ${ALARM_ACTIONS.join(', ')} or test-mail\n`);
        throw new CommandExit(EXIT_USAGE);
      }
      await queueAlarmCommand(config.storage.workDir, action as AlarmAction, `cli (${process.env.USER ?? 'unknown'}@${hostname()})`);
      // The service takes it within a round; wait a little to say what became of it.
      const deadline = Date.now() + 3 * 2000 + 1000;
      const before = await readStatus(config.storage.workDir);
      const beforeAt = before.kind === 'found' ? before.status.at : '';
      for (;;) {
        const now = await readStatus(config.storage.workDir);
        if (now.kind === 'found' && now.running && now.status.at !== beforeAt && now.status.master.history.some((e) => e.kind === 'master' && e.reason?.startsWith(action.toUpperCase()) && Date.parse(e.at) >= Date.now() - 10_000)) {
          process.stdout.write(`master alarm ${action.toUpperCase()}: now ${now.status.master.state.toUpperCase()}\n`);
          return;
        }
        if (Date.now() > deadline) {
          const running = now.kind === 'found' && now.running;
          process.stdout.write(running ? `master alarm ${action.toUpperCase()} left for the service (not applied yet)\n` : `master alarm ${action.toUpperCase()} left for the service: it is not running (older than ${STATUS_STALE_MS / 1000} s or missing); it applies it when it starts\n`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    });
}
