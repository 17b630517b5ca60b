// `recorder service install|uninstall|status`: the recorder as a systemd service on Linux (a dedicated user, restart
// on failure, the file system read-only but for the store, work folder, backup and logs), and a WinSW service
// definition for Windows (generated here, installed there with WinSW). Systemd is driven through systemctl.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadCommandConfig } from './command-config.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';
import type { RecorderConfig } from '../platform/config/index.js';
import { findPackageFile } from '../platform/util/index.js';

export interface UnitOptions {
  /** Absolute path of the configuration file. */
  readonly configPath: string;
  readonly user: string;
  readonly node: string;
  /** Absolute path of bin/recorder.js. */
  readonly launcher: string;
  /** run (the recording service), serve (the player) or worker (conversions of the job queue). */
  readonly command: UnitCommand;
}

type UnitCommand = 'run' | 'serve' | 'worker';

const UNIT_WHAT: Record<UnitCommand, string> = {
  run: 'call recording service (recorder run)',
  serve: 'web player (recorder serve)',
  worker: 'conversion worker of the job queue (recorder worker)',
};

/** The unit (and WinSW id) of a command: NAME for the service, NAME-player, NAME-worker. */
function unitId(name: string, command: UnitCommand): string {
  return command === 'run' ? name : command === 'serve' ? `${name}-player` : `${name}-worker`;
}

/** Folders the service writes: everything else of the file system is read-only to it. */
export function writablePaths(config: RecorderConfig): string[] {
  const paths = [config.storage.root, config.storage.workDir, dirname(config.storage.journalPath), dirname(config.storage.indexPath)];
  if (config.storage.backup !== undefined) paths.push(config.storage.backup);
  if (config.log.dir !== undefined) paths.push(config.log.dir);
  if (config.drive.kind === 'local') paths.push(config.drive.path);
  return [...new Set(paths.map((p) => resolve(p)))].sort();
}

/** Folders a conversion worker writes: the work folder (its jobs' output) and its logs. */
export function workerWritablePaths(config: RecorderConfig): string[] {
  return [...new Set([config.storage.workDir, ...(config.log.dir !== undefined ? [config.log.dir] : [])].map((p) => resolve(p)))].sort();
}

/** A systemd unit for `recorder run` (or `serve`, or `worker`) with this configuration. */
export function systemdUnit(config: RecorderConfig, options: UnitOptions): string {
  const quote = (value: string): string => (/^[A-Za-z0-9_./:@+-]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`);
  const what = UNIT_WHAT[options.command];
  const writable = options.command === 'worker' ? workerWritablePaths(config) : writablePaths(config);
  return `# Written by recorder service install: recorder ${options.command} with ${options.configPath}.
[Unit]
Description=Recorder ${what}
Documentation=https://github.com/recorder/recorder#readme
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=600
StartLimitBurst=10

[Service]
Type=simple
User=${options.user}
Group=${options.user}
ExecStart=${quote(options.node)} ${quote(options.launcher)} ${options.command} -c ${quote(options.configPath)}
Restart=on-failure
RestartSec=5
# recorder run finishes the step in hand and stops on SIGTERM; captures left stay on the drive for the next start.
KillSignal=SIGTERM
TimeoutStopSec=120
UMask=0077
Environment=NODE_ENV=production
# Hardening: nothing but the store, its work folders, backup and logs is writable; no privileges to gain.
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${writable.map(quote).join(' ')}
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
CapabilityBoundingSet=
AmbientCapabilities=
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
`;
}

/** A WinSW service definition (https://github.com/winsw/winsw, v2 XML) for Windows. */
export function winswDefinition(options: UnitOptions & { readonly id: string }): string {
  const xml = (value: string): string => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by recorder service install --windows. Install on Windows with WinSW: rename WinSW-x64.exe to
     ${xml(options.id)}.exe beside this file, then run "${xml(options.id)}.exe install" as administrator. -->
<service>
  <id>${xml(options.id)}</id>
  <name>Recorder ${UNIT_WHAT[options.command].replace(/ \(.*\)$/, '')}</name>
  <description>recorder ${options.command} -c ${xml(options.configPath)}</description>
  <executable>${xml(options.node)}</executable>
  <arguments>"${xml(options.launcher)}" ${options.command} -c "${xml(options.configPath)}"</arguments>
  <startmode>Automatic</startmode>
  <delayedAutoStart>true</delayedAutoStart>
  <stoptimeout>120 sec</stoptimeout>
  <onfailure action="restart" delay="5 sec"/>
  <onfailure action="restart" delay="30 sec"/>
  <onfailure action="restart" delay="120 sec"/>
  <resetfailure>1 hour</resetfailure>
  <log mode="roll-by-size">
    <sizeThreshold>20480</sizeThreshold>
    <keepFiles>14</keepFiles>
  </log>
</service>
`;
}

function run(command: string, args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? result.error.message : ''}`.trim() };
}

function systemdRunning(): boolean {
  const state = run('systemctl', ['is-system-running']).output;
  return state !== '' && !state.startsWith('offline') && !/not been booted|Failed to connect/.test(state);
}

export function registerServiceCommand(program: Command): void {
  const service = program.command('service').description('install the recorder as a system service (systemd on Linux; a WinSW definition for Windows)');
  service
    .command('install')
    .description('write the unit (recorder run, and with --with-player recorder serve), create the service user, enable and start it')
    .option('-c, --config <file>', 'configuration file the service runs with', 'recorder.toml')
    .option('--user <name>', 'the dedicated user the service runs as', 'recorder')
    .option('--name <name>', 'unit name', 'recorder')
    .option('--unit-dir <dir>', 'where units go', '/etc/systemd/system')
    .option('--with-player', 'also a unit for recorder serve (NAME-player)')
    .option('--with-worker', 'also a unit for recorder worker (NAME-worker), for conversions of the [cluster] job queue on this machine')
    .option('--worker-only', 'only a unit for recorder worker (NAME-worker): a machine that adds conversions to a [cluster] platform')
    .option('--dry-run', 'write the units only: no user, no systemctl')
    .option('--windows <dir>', 'write a WinSW service definition for Windows into this folder instead')
    .action(async (flags: { config: string; user: string; name: string; unitDir: string; withPlayer?: boolean; withWorker?: boolean; workerOnly?: boolean; dryRun?: boolean; windows?: string }) => {
      const configPath = resolve(flags.config);
      const { config } = await loadCommandConfig(configPath, 'recorder service install');
      const launcher = findPackageFile('bin/recorder.js');
      if (!launcher) {
        process.stderr.write('recorder service install: bin/recorder.js of this package not found\n');
        throw new CommandExit(EXIT_FAILED);
      }
      const commands: UnitCommand[] = flags.workerOnly ? ['worker'] : ['run', ...(flags.withPlayer ? (['serve'] as const) : []), ...(flags.withWorker ? (['worker'] as const) : [])];
      if (commands.includes('worker') && !config.cluster) {
        process.stderr.write(`recorder service install: ${configPath} has no [cluster] section: a worker would have no job queue to work for\n`);
        throw new CommandExit(EXIT_USAGE);
      }
      if (flags.windows !== undefined) {
        await mkdir(flags.windows, { recursive: true });
        for (const command of commands) {
          const id = unitId(flags.name, command);
          const file = join(flags.windows, `${id}.xml`);
          await writeFile(file, winswDefinition({ configPath, user: flags.user, node: process.execPath, launcher, command, id }));
          process.stdout.write(`${file}: WinSW definition for "recorder ${command}" (install on Windows: ${id}.exe install)\n`);
        }
        return;
      }
      const units: string[] = [];
      for (const command of commands) {
        const unitName = `${unitId(flags.name, command)}.service`;
        const file = join(flags.unitDir, unitName);
        await mkdir(flags.unitDir, { recursive: true });
        await writeFile(file, systemdUnit(config, { configPath, user: flags.user, node: process.execPath, launcher, command }), { mode: 0o644 });
        units.push(unitName);
        process.stdout.write(`${file}: unit for "recorder ${command} -c ${configPath}"\n`);
      }
      if (flags.dryRun) return;
      if (process.getuid?.() !== 0) {
        process.stderr.write('recorder service install: creating the user and enabling the units needs root (sudo)\n');
        throw new CommandExit(EXIT_USAGE);
      }
      if (!run('id', ['-u', flags.user]).ok) {
        const created = run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', flags.user]);
        if (!created.ok) {
          process.stderr.write(`recorder service install: cannot create the user ${flags.user}: ${created.output}\n`);
          throw new CommandExit(EXIT_FAILED);
        }
        process.stdout.write(`user ${flags.user} created\n`);
      }
      for (const path of commands.includes('run') || commands.includes('serve') ? writablePaths(config) : workerWritablePaths(config)) {
        await mkdir(path, { recursive: true, mode: 0o700 });
        run('chown', ['-R', `${flags.user}:${flags.user}`, path]);
      }
      run('chown', [`root:${flags.user}`, configPath]);
      run('chmod', ['0640', configPath]);
      if (!systemdRunning()) {
        process.stdout.write(`systemd is not running on this machine: units written; on a systemd host run: systemctl daemon-reload && systemctl enable --now ${units.join(' ')}\n`);
        return;
      }
      for (const step of [['daemon-reload'], ['enable', '--now', ...units]]) {
        const result = run('systemctl', step);
        if (!result.ok) {
          process.stderr.write(`recorder service install: systemctl ${step.join(' ')} failed: ${result.output}\n`);
          throw new CommandExit(EXIT_FAILED);
        }
      }
      process.stdout.write(`${units.join(', ')} enabled and started; recorder status -c ${configPath} shows the lamps\n`);
    });

  service
    .command('uninstall')
    .description('stop and disable the units and remove them (the store, logs and user stay)')
    .option('--name <name>', 'unit name', 'recorder')
    .option('--unit-dir <dir>', 'where the units are', '/etc/systemd/system')
    .action(async (flags: { name: string; unitDir: string }) => {
      const units = (['run', 'serve', 'worker'] as const).map((command) => `${unitId(flags.name, command)}.service`).filter((unit) => existsSync(join(flags.unitDir, unit)));
      if (units.length === 0) {
        process.stderr.write(`recorder service uninstall: no ${flags.name} units in ${flags.unitDir}\n`);
        throw new CommandExit(EXIT_USAGE);
      }
      if (systemdRunning()) run('systemctl', ['disable', '--now', ...units]);
      for (const unit of units) await rm(join(flags.unitDir, unit), { force: true });
      if (systemdRunning()) run('systemctl', ['daemon-reload']);
      process.stdout.write(`${units.join(', ')} removed (the store, its logs and the user are kept)\n`);
    });

  service
    .command('status')
    .description("systemd's view of the units (then recorder status for the lamps)")
    .option('--name <name>', 'unit name', 'recorder')
    .action((flags: { name: string }) => {
      if (!systemdRunning()) {
        process.stderr.write('recorder service status: systemd is not running on this machine\n');
        throw new CommandExit(3);
      }
      const result = run('systemctl', ['status', '--no-pager', `${flags.name}.service`]);
      process.stdout.write(`${result.output}\n`);
      if (!result.ok) throw new CommandExit(3);
    });
}
