import { readFileSync } from 'node:fs';
import { Option } from 'commander';
import type { Command } from 'commander';
import { decodeRawStream, encodeRawStream, RAW_DECODE_CODECS, RAW_ENCODE_CODECS } from '../media/codecs/index.js';
import type { RawCodecName } from '../media/codecs/index.js';
import { writeFileAtomic } from '../platform/util/index.js';
import { CommandExit, EXIT_FAILED } from './exit-codes.js';

interface CodecFlags {
  codec: RawCodecName;
  ituSerial?: boolean;
  json?: boolean;
}

function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    process.stderr.write(`recorder: ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error)}\n`);
    throw new CommandExit(EXIT_FAILED);
  }
}

export function registerCodecCommand(program: Command): void {
  const codec = program.command('codec').description('decode or encode raw codec payload streams (16-bit little-endian mono PCM on the other side)');
  codec
    .command('decode')
    .description('raw payload stream → 16-bit little-endian mono PCM')
    .addOption(new Option('--codec <codec>', 'codec of the input').choices([...RAW_DECODE_CODECS]).makeOptionMandatory())
    .option('--itu-serial', 'G.729 only: the input is in the ITU-T serial test format (sync word, length, one word per bit)')
    .option('--json', 'print what was done as JSON')
    .argument('<in>', 'payload stream')
    .argument('<out>', 'PCM output')
    .action((input: string, output: string, flags: CodecFlags) => {
      const bytes = readInput(input);
      let result;
      try {
        result = decodeRawStream(flags.codec, bytes, { ituSerial: flags.ituSerial === true });
      } catch (error) {
        process.stderr.write(`recorder: ${input}: ${error instanceof Error ? error.message : String(error)}\n`);
        throw new CommandExit(EXIT_FAILED);
      }
      writeFileAtomic(output, new Uint8Array(result.samples.buffer, result.samples.byteOffset, result.samples.byteLength));
      const report = { input, output, codec: flags.codec, sampleRate: result.sampleRate, samples: result.samples.length, durationSeconds: result.samples.length / result.sampleRate };
      process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${output}: ${report.samples} samples at ${report.sampleRate} Hz (${report.durationSeconds.toFixed(3)} s)\n`);
    });
  codec
    .command('encode')
    .description('16-bit little-endian mono PCM → raw payload stream')
    .addOption(new Option('--codec <codec>', 'codec of the output').choices([...RAW_ENCODE_CODECS]).makeOptionMandatory())
    .option('--json', 'print what was done as JSON')
    .argument('<in>', 'PCM input (8 kHz; 16 kHz for G.722)')
    .argument('<out>', 'payload stream output')
    .action((input: string, output: string, flags: CodecFlags) => {
      const bytes = readInput(input);
      if (bytes.length % 2 !== 0) {
        process.stderr.write(`recorder: ${input}: odd length ${bytes.length}: not 16-bit PCM\n`);
        throw new CommandExit(EXIT_FAILED);
      }
      const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      const encoded = encodeRawStream(flags.codec, pcm);
      writeFileAtomic(output, encoded);
      const report = { input, output, codec: flags.codec, samples: pcm.length, bytes: encoded.length };
      process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${output}: ${report.bytes} bytes from ${report.samples} samples\n`);
    });
}
