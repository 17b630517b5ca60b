import type { Command } from 'commander';
import { Option } from 'commander';
import { DEMO_MODES, DEMO_RANDOM, startDemo } from '../demo/index.js';
import type { DemoMode } from '../demo/index.js';
import { join } from 'node:path';
import { positiveInteger } from './exit-codes.js';

interface DemoFlags {
  dir: string;
  calls: number;
  seed?: number;
  speed: string;
  exitAfter?: number;
  port?: number;
  mode: DemoMode;
  tenants: number;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the live demo: the embedded PBX places calls, the recorder files them, the player shows them (what `npm start` runs)')
    .option('--dir <dir>', 'where the demo keeps the drive, recordings and index', 'out/demo')
    .option('--calls <n>', 'calls to place', positiveInteger, 200)
    .option('--seed <n>', 'seed of the random calls (default: a new one each run)', positiveInteger)
    .option('--speed <x>', 'simulated seconds per real second', '4')
    .option('--port <port>', 'player port (default 8080, or a free one when that is taken)', positiveInteger)
    .addOption(new Option('--mode <mode>', 'recording mode: std keeps every call the rules file, tcr only the calls agents mark, random every 3rd of the system and 2nd of an agent, tan as std with a TAN entered in half the calls, pcap keeps the captures (convert them later with recorder convert --store)').choices(DEMO_MODES).default('std'))
    .option('--exit-after <n>', 'stop after this many recordings are filed (for scripted runs)', positiveInteger)
    .option('--tenants <n>', 'a hosting platform: this many tenants, each with its own PBX, recorder store and player (players on --port and up; default 8080 and free ports)', positiveInteger, 1)
    .action(async (flags: DemoFlags) => {
      let filed = 0;
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (finish = resolve));
      const several = flags.tenants > 1;
      const demos = [];
      for (let t = 0; t < flags.tenants; t++) {
        const tenant = several ? `tenant-${t + 1}` : undefined;
        demos.push(
          await startDemo({
            directory: tenant ? join(flags.dir, tenant) : flags.dir,
            calls: flags.calls,
            // Each tenant's PBX places calls of its own.
            ...(flags.seed !== undefined ? { seed: flags.seed + t } : several ? { seed: (Date.now() + t * 7919) % 100_000 } : {}),
            speed: Number(flags.speed),
            mode: flags.mode,
            // The first tenant on 8080 (or a free port when taken), the others on free ports; with --port, from there up.
            ...(flags.port !== undefined ? { port: flags.port + t } : t > 0 ? { port: 0 } : {}),
            onFiled: (event) => {
              filed++;
              const r = event.recording;
              process.stdout.write(`  ${tenant ? `${tenant}: ` : ''}filed ${r.name}.${r.format}  (${event.decision.rule}, ${(event.latencyMs / 1000).toFixed(1)} s after the call ended)\n`);
              if (flags.exitAfter !== undefined && filed >= flags.exitAfter) finish();
            },
          }),
        );
      }
      if (several) {
        process.stdout.write(
          `Recorder demo for a hosting platform — ${flags.tenants} tenants, each an embedded PBX placing ${flags.calls} calls at ${flags.speed}x, its own recorder store, keys and player:\n\n` +
            demos
              .map((demo, t) => `  tenant-${t + 1}: ${demo.playerUrl}  (${demo.accounts.map((a) => `${a.name} / ${a.password}`).join(', ')}; recordings in ${demo.storeRoot})\n`)
              .join('') +
            `\nEach tenant's player shows that tenant's calls only. Ctrl-C to stop.\n`,
        );
      }
      const [demo] = demos as [(typeof demos)[number]];
      const e = demo.endpoints;
      if (!several) process.stdout.write(
        `Recorder demo — an embedded PBX places ${flags.calls} calls at ${flags.speed}x; the recorder files them` +
          (flags.mode === 'random' ? ` (random recording: every ${DEMO_RANDOM.systemEvery}rd call of the system, every ${DEMO_RANDOM.agentEvery}nd of an agent)` : '') +
          (flags.mode === 'tcr' ? ' (thread-call recording: only the calls agents mark, during or within 5 minutes after them)' : '') +
          (flags.mode === 'tan' ? ' (agents enter a TAN in half the calls: search it or change it in the player)' : '') +
          (flags.mode === 'pcap' ? ' (keep-PCAP: the captures are the recordings; the player renders them to play)' : '') +
          `.\n\n` +
          `  Open the player: ${demo.playerUrl}\n` +
          demo.accounts.map((a) => `    log in as ${a.name} / ${a.password} (${a.sees})\n`).join('') +
          `  AppServer (player link): ${demo.appServerUrl} — each call's FRST and LAST; ▶ plays it in the player named above\n` +
          `\n` +
          `  PBX SOAP   ${e.soapUrl}\n  reporting  ${e.reportingUrl}\n  drive      ${e.recUrl}\n  admin      ${e.adminUrl}/faults (user ${e.username}, password ${e.password})\n` +
          `  recordings ${demo.storeRoot}\nCtrl-C to stop.\n`,
      );
      const stop = (): void => finish();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await done;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      for (const running of demos) await running.stop();
      process.stdout.write(`${filed} recordings filed in ${several ? demos.map((d) => d.storeRoot).join(', ') : demo.storeRoot}\n`);
    });
}
