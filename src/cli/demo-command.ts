import type { Command } from 'commander';
import { Option } from 'commander';
import { DEMO_MODES, DEMO_RANDOM, startDemo } from '../demo/index.js';
import type { DemoMode } from '../demo/index.js';
import { positiveInteger } from './exit-codes.js';

interface DemoFlags {
  dir: string;
  calls: number;
  seed?: number;
  speed: string;
  exitAfter?: number;
  port?: number;
  mode: DemoMode;
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
    .action(async (flags: DemoFlags) => {
      let filed = 0;
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (finish = resolve));
      const demo = await startDemo({
        directory: flags.dir,
        calls: flags.calls,
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        speed: Number(flags.speed),
        mode: flags.mode,
        ...(flags.port !== undefined ? { port: flags.port } : {}),
        onFiled: (event) => {
          filed++;
          const r = event.recording;
          process.stdout.write(`  filed ${r.name}.${r.format}  (${event.decision.rule}, ${(event.latencyMs / 1000).toFixed(1)} s after the call ended)\n`);
          if (flags.exitAfter !== undefined && filed >= flags.exitAfter) finish();
        },
      });
      const e = demo.endpoints;
      process.stdout.write(
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
      await demo.stop();
      process.stdout.write(`${filed} recordings filed in ${demo.storeRoot}\n`);
    });
}
