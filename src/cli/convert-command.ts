import { Option } from 'commander';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { convertAll } from '../convert/index.js';
import type { BatchSummary } from '../convert/index.js';
import type { ChannelMix } from '../calls/index.js';
import type { WavEncoding } from '../audio/index.js';
import { availableParallelism } from 'node:os';
import { CommandExit, EXIT_FAILED, EXIT_USAGE, positiveInteger } from './index.js';

interface ConvertFlags {
  output?: string;
  format: 'wav' | 'mp3';
  bitrate: string;
  mix: ChannelMix;
  encoding: WavEncoding;
  recordedBy: 'gateway' | 'phone';
  device?: string;
  swapChannels?: boolean;
  sip: boolean;
  json?: boolean;
  progress: boolean;
  workers?: number;
  key?: string[];
  passphraseEnv: string;
  encrypt?: boolean;
}

function collectKey(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function minutes(seconds: number): string {
  return (seconds / 60).toFixed(1);
}

function printHuman(summary: BatchSummary): void {
  for (const report of summary.reports) {
    if (!report.ok) process.stderr.write(`FAILED ${report.input}: ${report.error}\n`);
    for (const warning of report.warnings) process.stderr.write(`warning ${report.input}: ${warning}\n`);
  }
  process.stdout.write(
    `${summary.converted}/${summary.files} files converted, ${summary.failed} failed; ${summary.outputs} recordings from ${summary.calls} calls, ` +
      `${minutes(summary.audioSeconds)} min of audio, ${summary.packets} packets (${summary.lost} lost, ${summary.duplicates} duplicate) ` +
      `in ${summary.elapsedSeconds.toFixed(2)} s (${Math.round(summary.realtimeFactor)}x realtime)\n`,
  );
}

export function registerConvertCommand(program: Command): void {
  program
    .command('convert')
    .description('convert PCAP/pcapng captures (files or directory trees) into recordings, one per call')
    .argument('<paths...>', 'capture files or directories to walk')
    .option('-o, --output <dir>', 'write recordings here (default: beside each capture)')
    .addOption(new Option('--format <format>', 'recording format').choices(['wav', 'mp3']).default('wav'))
    .addOption(new Option('--bitrate <kbps>', 'MP3 constant bit rate in kbit/s (32 ≈ 240 kB per minute of stereo call)').choices(['16', '24', '32', '40', '48', '56', '64', '80', '96', '112', '128', '160']).default('32'))
    .addOption(new Option('--mix <mix>', 'stereo (external left, internal right), mono mix, or internal party only').choices(['stereo', 'mono', 'internal']).default('stereo'))
    .addOption(new Option('--encoding <encoding>', 'WAV sample encoding: 16-bit PCM, or G.711 in WAV (~1 MB/min)').choices(['pcm16', 'alaw', 'ulaw']).default('pcm16'))
    .addOption(new Option('--recorded-by <device>', 'who wrote the captures: decides which stream is the external party when no SIP says so').choices(['gateway', 'phone']).default('gateway'))
    .option('--device <address>', 'IP address of the recording device (default: the endpoint common to the streams)')
    .option('--swap-channels', 'swap left and right (captures known to be mirrored)')
    .option('--no-sip', 'ignore SIP/SDP in the captures')
    .option('--workers <n>', 'convert in a pool of N worker threads (default: one per core when converting several files)', positiveInteger)
    .option('--key <file>', 'key file (repeat for several keys): encrypted captures (NAME.pcap.enc) are decrypted with it and their recordings encrypted under the same key', collectKey)
    .option('--passphrase-env <name>', 'environment variable holding the passphrase of a passphrase key definition', 'RECORDER_PASSPHRASE')
    .option('--encrypt', 'encrypt the recordings of plain captures too, under the first --key')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (paths: string[], flags: ConvertFlags) => {
      if (flags.encrypt && !(flags.key && flags.key.length > 0)) {
        process.stderr.write('recorder convert: --encrypt needs a key (--key FILE)\n');
        throw new CommandExit(EXIT_USAGE);
      }
      const passphrase = process.env[flags.passphraseEnv];
      const showBar = !flags.json && flags.progress && process.stderr.isTTY === true;
      const bar = showBar
        ? new cliProgress.SingleBar(
            { format: 'converting {bar} {value}/{total} files | {calls} calls | {minutes} min audio | {speed}x realtime | {file}', hideCursor: true, stream: process.stderr },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      const started = Date.now();
      let barStarted = false;
      // One file (or one core): no pool to start. Several files: a worker per core unless told otherwise.
      const workers = flags.workers ?? (availableParallelism() > 1 && (paths.length > 1 || !paths[0]!.match(/\.(pcap|pcapng|cap)$/i)) ? availableParallelism() : undefined);
      const summary = await convertAll(paths, {
        ...(workers !== undefined && workers > 1 ? { workers } : {}),
        ...(flags.output ? { outDir: flags.output } : {}),
        format: flags.format,
        kbps: Number(flags.bitrate),
        mix: flags.mix,
        encoding: flags.encoding,
        useSignalling: flags.sip,
        ...(flags.key && flags.key.length > 0
          ? { encryption: { keyFiles: flags.key, ...(passphrase !== undefined ? { passphrase } : {}), encryptOutputs: flags.encrypt === true } }
          : {}),
        channels: {
          recordedBy: flags.recordedBy,
          ...(flags.device ? { deviceAddress: flags.device } : {}),
          ...(flags.swapChannels ? { swap: true } : {}),
        },
        onProgress: (p) => {
          if (!bar) return;
          const payload = {
            calls: p.calls,
            minutes: minutes(p.audioSeconds),
            speed: Math.round(p.audioSeconds / Math.max(0.001, (Date.now() - started) / 1000)),
            file: p.current.length > 40 ? `…${p.current.slice(-39)}` : p.current,
          };
          if (!barStarted) {
            bar.start(p.filesTotal, p.filesDone, payload);
            barStarted = true;
          } else bar.update(p.filesDone, payload);
        },
      });
      bar?.stop();
      if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else printHuman(summary);
      if (summary.failed > 0 || summary.files === 0) {
        if (summary.files === 0 && !flags.json) process.stderr.write('no capture files found\n');
        throw new CommandExit(EXIT_FAILED);
      }
    });
}
