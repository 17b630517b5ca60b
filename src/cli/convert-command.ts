import { Option } from 'commander';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ConverterLockedError, convertAll, convertStore, lockConverter } from '../recorder/convert/index.js';
import { openRecordings } from '../recordings/index.js';
import { loadCommandConfig } from './command-config.js';
import { dirname, join, resolve } from 'node:path';
import type { BatchSummary } from '../recorder/convert/index.js';
import { AUDIO_FORMATS, AUDIO_MIXES, DEFAULT_MP3_KBPS, DEFAULT_OPUS_KBPS, MP3_BITRATES, MP3_ENCODERS, OPUS_BITRATES, WAV_ENCODINGS, formatBitrates, mp3BitrateProblem } from '../domain/index.js';
import type { AudioFormat, AudioMix, Mp3EncoderName, WavEncoding } from '../domain/index.js';
import { availableParallelism } from 'node:os';
import { access, constants, mkdir, stat } from 'node:fs/promises';
import { CommandExit, EXIT_FAILED, EXIT_USAGE, positiveInteger } from './exit-codes.js';
import { plural } from '../platform/util/index.js';

interface ConvertFlags {
  output?: string;
  format: AudioFormat;
  bitrate?: string;
  mp3Encoder: Mp3EncoderName;
  mix: AudioMix;
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
  force?: boolean;
  strict?: boolean;
  store?: string | boolean;
  config?: string;
  watch?: number;
}

function collectKey(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function minutes(seconds: number): string {
  return (seconds / 60).toFixed(1);
}

/** "3,480× realtime", or "—" when the run was too short (or held too little audio) to say. */
function realtime(audioSeconds: number, elapsedSeconds: number): string {
  if (audioSeconds <= 0 || elapsedSeconds <= 0) return 'no audio';
  const factor = audioSeconds / elapsedSeconds;
  return `${factor >= 10 ? Math.round(factor).toLocaleString('en-US') : factor.toFixed(1)}× realtime`;
}

function duration(seconds: number): string {
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}

function bytesText(bytes: number): string {
  return bytes >= 1 << 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : bytes >= 1 << 20 ? `${(bytes / 2 ** 20).toFixed(1)} MB` : `${Math.round(bytes / 1024)} kB`;
}

function etaText(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  return duration(seconds);
}

/** Errors that concern a folder rather than a capture are printed once for all the captures they stopped. */
const FOLDER_PROBLEM = /^cannot write recordings to /;

function printHuman(summary: BatchSummary): void {
  const folderProblems = new Map<string, string[]>();
  for (const report of summary.reports) {
    if (!report.ok && report.error !== undefined && FOLDER_PROBLEM.test(report.error)) {
      const list = folderProblems.get(report.error) ?? [];
      list.push(report.input);
      folderProblems.set(report.error, list);
      continue;
    }
    for (const output of report.outputs) {
      const parties = output.externalParty || output.internalParty ? `, ${output.internalParty ?? '?'} ↔ ${output.externalParty ?? '?'}` : '';
      process.stdout.write(`${report.input} → ${output.path} (${duration(output.durationSeconds)}, ${output.codec}${parties})\n`);
    }
    if (!report.ok) process.stderr.write(`FAILED ${report.input}: ${report.error}\n`);
    for (const warning of report.warnings) process.stderr.write(`warning ${report.input}: ${warning}\n`);
  }
  for (const [problem, inputs] of folderProblems) {
    process.stderr.write(`FAILED ${inputs.length === 1 ? inputs[0] : plural(inputs.length, 'capture')}: ${problem}\n`);
  }
  const failed = summary.failed > 0 ? `, ${summary.failed} failed` : '';
  process.stdout.write(
    `${summary.converted}/${plural(summary.files, 'file')} converted${failed}${summary.interrupted ? ' (interrupted)' : ''}; ` +
      `${plural(summary.outputs, 'recording')} from ${plural(summary.calls, 'call')}, ${minutes(summary.audioSeconds)} min of audio, ` +
      `${plural(summary.packets, 'packet')} (${summary.lost} lost, ${summary.duplicates} duplicate) in ${summary.elapsedSeconds.toFixed(2)} s ` +
      `(${realtime(summary.audioSeconds, summary.elapsedSeconds)})\n`,
  );
  if (summary.ignored.length > 0) {
    process.stdout.write(`${plural(summary.ignored.length, 'other file')} in the folders ignored (not captures by name: .pcap, .pcapng, .cap, optionally .gz or .enc)\n`);
  }
}

/**
 * The bit rate `--bitrate` asks for, checked against the format's rates (and the MP3 encoder's), or the format's
 * default; a bit rate for WAV is a usage error.
 */
function chosenBitrate(flags: ConvertFlags, usage: (message: string) => never): number {
  const rates = formatBitrates(flags.format);
  if (!rates) {
    if (flags.bitrate !== undefined) usage(`--bitrate applies to MP3 and Opus (--format mp3 or opus); WAV is not compressed`);
    return DEFAULT_MP3_KBPS;
  }
  if (flags.bitrate === undefined) return rates.defaultKbps;
  const kbps = Number(flags.bitrate);
  if (!rates.rates.includes(kbps)) usage(`--bitrate ${flags.bitrate}: ${flags.format === 'mp3' ? 'MP3' : 'Opus'} takes ${rates.rates.join(', ')} kbit/s`);
  const problem = flags.format === 'mp3' ? mp3BitrateProblem(kbps, flags.mp3Encoder) : undefined;
  if (problem) usage(`--bitrate ${flags.bitrate}: ${problem} (--mp3-encoder lamejs)`);
  return kbps;
}

export function registerConvertCommand(program: Command): void {
  program
    .command('convert')
    .description('convert PCAP/pcapng captures (files or directory trees) into recordings, one per call')
    .argument('[paths...]', 'capture files (.pcap, .pcapng, .cap; also .gz, .enc) or directories to walk')
    .option('--store [root]', 'instead: convert the recordings kept as captures (format pcap) in the store of -c CONFIG, in place (ROOT, when given, must be that store)')
    .option('-c, --config <file>', 'with --store: the configuration file (store, backup, index, keys)', 'recorder.toml')
    .option('--watch <seconds>', 'with --store: look for new captures again every N seconds until stopped', positiveInteger)
    .option('-o, --output <dir>', 'write recordings here, keeping the tree below each named folder (default: beside each capture)')
    .addOption(new Option('--format <format>', 'recording format').choices([...AUDIO_FORMATS]).default('wav'))
    .option('--bitrate <kbps>', `MP3 or Opus bit rate in kbit/s: MP3 ${MP3_BITRATES.join(', ')} (default ${DEFAULT_MP3_KBPS} ≈ 240 kB per minute of stereo call); Opus ${OPUS_BITRATES.join(', ')} (default ${DEFAULT_OPUS_KBPS})`)
    .addOption(new Option('--mp3-encoder <encoder>', 'MP3 encoder: LAME in WebAssembly, or lamejs (pure JavaScript, slower)').choices([...MP3_ENCODERS]).default('lame-wasm'))
    .addOption(new Option('--mix <mix>', 'stereo (external left, internal right), mono mix, or internal party only').choices([...AUDIO_MIXES]).default('stereo'))
    .addOption(new Option('--encoding <encoding>', 'WAV sample encoding: 16-bit PCM, or G.711 in WAV (~1 MB/min)').choices([...WAV_ENCODINGS]).default('pcm16'))
    .addOption(new Option('--recorded-by <device>', 'who wrote the captures: decides which stream is the external party when no SIP says so').choices(['gateway', 'phone']).default('gateway'))
    .option('--device <address>', 'IP address of the recording device (default: the endpoint common to the streams)')
    .option('--swap-channels', 'swap left and right (captures known to be mirrored)')
    .option('--no-sip', 'ignore SIP/SDP in the captures')
    .option('--workers <n>', 'convert in a pool of N worker threads (default: one per core when converting several files)', positiveInteger)
    .option('--key <file>', 'key file (repeat for several keys): encrypted captures (NAME.pcap.enc) are decrypted with it and their recordings encrypted under the same key', collectKey)
    .option('--passphrase-env <name>', 'environment variable holding the passphrase of a passphrase key definition', 'RECORDER_PASSPHRASE')
    .option('--encrypt', 'encrypt the recordings of plain captures too, under the first --key')
    .option('--force', 'replace recordings that exist already (never one written by this run)')
    .option('--strict', 'a truncated capture fails and gives no recording (default: the audio before the cut is written, with a warning)')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (paths: string[], flags: ConvertFlags, command: Command) => {
      const usage = (message: string): never => {
        process.stderr.write(`recorder convert: ${message}\n`);
        throw new CommandExit(EXIT_USAGE);
      };
      const given = (name: string): boolean => command.getOptionValueSource(name) === 'cli';
      const kbps = chosenBitrate(flags, usage);
      if (flags.store !== undefined) {
        if (paths.length > 0) usage('--store converts the recordings of a store: give no capture paths with it');
        for (const option of ['output', 'key', 'encrypt', 'force', 'workers', 'device', 'recordedBy']) if (given(option)) usage(`--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} does not apply with --store (the configuration gives keys and paths)`);
        await convertStoreCommand(flags, kbps);
        return;
      }
      if (given('watch')) usage('--watch goes with --store');
      if (paths.length === 0) usage('give capture files or directories to convert (or --store)');
      if (flags.encrypt && !(flags.key && flags.key.length > 0)) usage('--encrypt needs a key (--key FILE)');
      if (given('encoding') && flags.format !== 'wav') usage(`--encoding applies to WAV only; ${flags.format === 'mp3' ? 'MP3' : 'Opus'} has no sample encoding to choose`);
      if (flags.output !== undefined) {
        const problem = await outputFolderProblem(flags.output);
        if (problem) usage(`-o ${flags.output}: ${problem}`);
      }
      const passphrase = process.env[flags.passphraseEnv];
      const showBar = !flags.json && flags.progress && process.stderr.isTTY === true;
      const bar = showBar
        ? new cliProgress.SingleBar(
            {
              format: 'converting {bar} {percentage}% | {read} of {size} read | ETA {etaText} | {files} files | {calls} calls | {file}',
              hideCursor: true,
              stream: process.stderr,
              etaBuffer: 50,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      const started = Date.now();
      let barStarted = false;
      // Conversion always runs in worker threads, so that Ctrl-C can stop a long capture at once (a worker
      // is ended mid-file; the main thread stays free to clean up). One thread for a single file.
      const single = paths.length === 1 && (await stat(paths[0]!).then((info) => info.isFile(), () => true));
      const workers = flags.workers ?? (single ? 1 : availableParallelism());
      const stop = new AbortController();
      let stopSignal: NodeJS.Signals | undefined;
      const onSignal = (name: NodeJS.Signals): void => {
        if (stopSignal !== undefined) process.exit(name === 'SIGINT' ? 130 : 143); // a second signal: leave now
        stopSignal = name;
        process.stderr.write(`\nrecorder convert: ${name} — stopping; finished recordings are kept, unfinished ones removed\n`);
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let summary: BatchSummary;
      try {
        summary = await convertAll(paths, {
          workers,
          signal: stop.signal,
          ...(flags.output ? { outDir: flags.output } : {}),
          format: flags.format,
          kbps,
          mp3Encoder: flags.mp3Encoder,
          mix: flags.mix,
          encoding: flags.encoding,
          useSignalling: flags.sip,
          landing: flags.force ? { mode: 'replace-older', replaceBefore: started } : { mode: 'exclusive' },
          ...(flags.strict ? { strict: true } : {}),
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
            const elapsed = Math.max(0.001, (Date.now() - started) / 1000);
            // The bar and the ETA follow the work (reading, then writing each capture's recordings), by bytes.
            const payload = {
              read: bytesText(p.bytesDone),
              size: bytesText(p.bytesTotal),
              etaText: p.workDone > 0.005 ? etaText((elapsed * (1 - p.workDone)) / p.workDone) : '--:--',
              files: `${p.filesDone}/${p.filesTotal}`,
              calls: p.calls,
              file: p.current.length > 40 ? `…${p.current.slice(-39)}` : p.current,
            };
            // The bar counts tenths of a per cent of the work.
            if (!barStarted) {
              bar.start(1000, Math.floor(p.workDone * 1000), payload);
              barStarted = true;
            } else bar.update(Math.floor(p.workDone * 1000), payload);
          },
        });
      } finally {
        bar?.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else printHuman(summary);
      if (stopSignal !== undefined) throw new CommandExit(stopSignal === 'SIGINT' ? 130 : 143);
      if (summary.failed > 0 || summary.files === 0) {
        if (summary.files === 0 && !flags.json) process.stderr.write('no capture files found\n');
        throw new CommandExit(EXIT_FAILED);
      }
    });
}

/** `recorder convert --store`: the store's kept captures converted in place, once or watching. */
async function convertStoreCommand(flags: ConvertFlags, kbps: number): Promise<void> {
  const { config, keyring } = await loadCommandConfig(flags.config ?? 'recorder.toml', 'recorder convert --store');
  if (typeof flags.store === 'string' && resolve(flags.store) !== resolve(config.storage.root)) {
    process.stderr.write(`recorder convert: --store ${flags.store} is not the store of ${flags.config} (${config.storage.root})\n`);
    throw new CommandExit(EXIT_USAGE);
  }
  const lockFile = join(dirname(config.storage.indexPath), 'converter.lock');
  let release: () => Promise<void>;
  try {
    await mkdir(dirname(lockFile), { recursive: true, mode: 0o700 });
    release = await lockConverter(lockFile);
  } catch (error) {
    process.stderr.write(`recorder convert: ${error instanceof Error ? error.message : String(error)}\n`);
    throw new CommandExit(error instanceof ConverterLockedError ? EXIT_USAGE : EXIT_FAILED);
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const recordings = await openRecordings(config, keyring, { follow: false });
  const { keyFiles, passphraseEnv } = config.encryption;
  const passphrase = process.env[passphraseEnv];
  let failed = 0;
  try {
    for (;;) {
      const summary = await convertStore({
        recordings,
        format: flags.format,
        mix: flags.mix,
        encoding: flags.encoding,
        kbps,
        mp3Encoder: flags.mp3Encoder,
        workDir: config.storage.workDir,
        ...(keyring && keyFiles.length > 0 ? { encryption: { keyFiles, ...(passphrase !== undefined ? { passphrase } : {}) } } : {}),
        ...(flags.swapChannels ? { swapChannels: true } : {}),
        signal: stop.signal,
        onRecording: (outcome) => {
          if (flags.json) return;
          if (outcome.status === 'converted') process.stdout.write(`${outcome.name}: converted to ${flags.format} (${duration(outcome.durationSeconds ?? 0)})\n`);
          else process.stderr.write(`${outcome.name}: not converted: ${outcome.error}\n`);
        },
      });
      failed += summary.failed;
      if (flags.json) process.stdout.write(`${JSON.stringify({ found: summary.found, converted: summary.converted, failed: summary.failed, inBucket: summary.inBucket, outcomes: summary.outcomes })}\n`);
      else {
        process.stdout.write(`${summary.converted} of ${plural(summary.found, 'recording')} kept as captures converted${summary.failed > 0 ? `, ${summary.failed} failed` : ''}\n`);
        if (summary.inBucket > 0) process.stdout.write(`${plural(summary.inBucket, 'capture')} in the bucket left as they are (converted only before they move there)\n`);
      }
      if (flags.watch === undefined || stop.signal.aborted) break;
      await new Promise<void>((done) => {
        const timer = setTimeout(done, flags.watch! * 1000);
        stop.signal.addEventListener('abort', () => (clearTimeout(timer), done()), { once: true });
      });
      if (stop.signal.aborted) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await recordings.close();
    await release();
  }
  if (failed > 0) throw new CommandExit(EXIT_FAILED);
}

/** Why -o cannot take recordings (a file is there, or it cannot be created or written), or undefined. */
async function outputFolderProblem(folder: string): Promise<string | undefined> {
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') return 'a file is in the way (expected a folder)';
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'cannot create the folder: permission denied';
    return `cannot create the folder: ${code ?? String(error)}`;
  }
  try {
    if (!(await stat(folder)).isDirectory()) return 'is a file, not a folder';
    await access(folder, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'cannot write there: permission denied' : `cannot write there: ${code ?? String(error)}`;
  }
  return undefined;
}
