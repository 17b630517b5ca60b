import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { convertAll } from '../convert/index.js';
import { CommandExit, EXIT_FAILED } from './index.js';

/** The repository root, whether running from src/ (tests) or dist/src/ (built). */
function repositoryRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/') ? resolve(here, '../../..') : resolve(here, '../..');
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('convert the bundled sample captures and show where the recordings went (the live PBX demo arrives with the embedded PBX)')
    .option('-o, --output <dir>', 'where to write the recordings', 'out/demo')
    .action(async (flags: { output: string }) => {
      const root = repositoryRoot();
      const input = resolve(root, 'fixtures/calls');
      const output = resolve(flags.output);
      process.stdout.write(`Recorder demo: converting the sample captures in ${input}\n`);
      const summary = await convertAll([input], { outDir: output });
      for (const report of summary.reports) {
        for (const out of report.outputs) {
          const parties = [out.externalParty && `external ${out.externalParty}`, out.internalParty && `internal ${out.internalParty}`].filter(Boolean).join(', ');
          process.stdout.write(
            `  ${out.path}\n      ${out.codec}, ${out.durationSeconds.toFixed(1)} s, ${out.channels === 2 ? 'stereo (left external, right internal)' : 'mono'}, ` +
              `${out.packets} packets, ${out.lost} lost${parties ? `, ${parties}` : ''}\n`,
          );
        }
        if (!report.ok) process.stdout.write(`  (expected failure) ${report.input}: ${report.error}\n`);
      }
      process.stdout.write(`${summary.outputs} recordings written to ${output} — play them with any audio player.\n`);
      if (summary.outputs === 0) throw new CommandExit(EXIT_FAILED);
    });
}
