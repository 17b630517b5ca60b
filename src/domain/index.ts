// The recorder's words, declared once: every layer (configuration, CLI, converter, storage, player, simulator)
// imports them from here, so a format, a mix or a bit rate cannot mean one thing in one place and another in the
// next. Nothing here imports anything.

/** What a stored recording's audio file is: converted audio, or the native capture kept as it came. */
export const RECORDING_FORMATS = ['wav', 'mp3', 'opus', 'pcap'] as const;
export type RecordingFormat = (typeof RECORDING_FORMATS)[number];

/** The media type each format is served with (Ogg Opus names its codec: browsers decide by it). */
export const RECORDING_CONTENT_TYPES: Readonly<Record<RecordingFormat, string>> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  opus: 'audio/ogg; codecs=opus',
  pcap: 'application/vnd.tcpdump.pcap',
};

/** The formats the converter writes (a kept capture is not converted). Opus is Ogg Opus, in a `.opus` file. */
export const AUDIO_FORMATS = ['wav', 'mp3', 'opus'] as const satisfies readonly RecordingFormat[];
export type AudioFormat = (typeof AUDIO_FORMATS)[number];

/** Channels of a recording: external party left and internal right, both parties mixed, or the internal party only. */
export const AUDIO_MIXES = ['stereo', 'mono', 'internal'] as const;
export type AudioMix = (typeof AUDIO_MIXES)[number];

/** Sample encodings of a WAV recording: 16-bit PCM, or G.711 kept as it came (format tags 6 and 7). */
export const WAV_ENCODINGS = ['pcm16', 'alaw', 'ulaw'] as const;
export type WavEncoding = (typeof WAV_ENCODINGS)[number];

/**
 * Constant MP3 bit rates in kbit/s. An 8 kHz call is coded as MPEG-2.5 Layer III, whose rates end at 64 kbit/s
 * (LAME quietly lowers anything higher: 144 gave 64, measured); the same rates serve 16 kHz (G.722) calls. 8
 * kbit/s is too little for a stereo call.
 */
export const MP3_BITRATES = [16, 24, 32, 40, 48, 56, 64] as const;
export type Mp3Bitrate = (typeof MP3_BITRATES)[number];
/** 32 kbit/s: about 240 kB per minute of stereo call, the reference's ~250 kB. */
export const DEFAULT_MP3_KBPS: Mp3Bitrate = 32;
/**
 * The MP3 encoders: LAME compiled to WebAssembly (the default, near native speed), or lamejs, the pure-JavaScript
 * port (slower; for a platform where WebAssembly is not wanted).
 */
export const MP3_ENCODERS = ['lame-wasm', 'lamejs'] as const;
export type Mp3EncoderName = (typeof MP3_ENCODERS)[number];

/** Our bit rates the WebAssembly LAME package takes: its parameter check knows MPEG-1's rates only, which lack 56. */
const LAME_WASM_BITRATES: ReadonlySet<number> = new Set([16, 24, 32, 40, 48, 64]);

/**
 * Opus bit rates in kbit/s for the whole recording (both channels). Opus codes a call's 8 kHz speech well from
 * about 6 kbit/s a channel; 16 kbit/s stereo is half the size of 32 kbit/s MP3.
 */
export const OPUS_BITRATES = [12, 16, 20, 24, 32, 48, 64] as const;
export type OpusBitrate = (typeof OPUS_BITRATES)[number];
export const DEFAULT_OPUS_KBPS: OpusBitrate = 16;

/** A compressed format's bit rates and default; undefined for a format without a bit rate (WAV, PCAP). */
export function formatBitrates(format: RecordingFormat): { readonly rates: readonly number[]; readonly defaultKbps: number } | undefined {
  if (format === 'mp3') return { rates: MP3_BITRATES, defaultKbps: DEFAULT_MP3_KBPS };
  if (format === 'opus') return { rates: OPUS_BITRATES, defaultKbps: DEFAULT_OPUS_KBPS };
  return undefined;
}

/** Why `encoder` cannot write MP3 at `kbps` kbit/s, or undefined when it can. */
export function mp3BitrateProblem(kbps: number, encoder: Mp3EncoderName): string | undefined {
  if (encoder !== 'lame-wasm' || LAME_WASM_BITRATES.has(kbps)) return undefined;
  return `${kbps} kbit/s is not a rate the WebAssembly LAME encoder takes (${[...LAME_WASM_BITRATES].join(', ')}): choose one of those, or the lamejs encoder`;
}

/** Seen from the recorded (internal) party. */
export const CALL_DIRECTIONS = ['in', 'out'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

/** The codecs the recorder decodes (their descriptions: media/codecs). */
export const CODEC_NAMES = ['pcmu', 'pcma', 'g722', 'g729'] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

/**
 * Capture file endings: classic pcap, pcapng (newer firmware, other capture tools) and `.cap`. The drive, the
 * agent rules and the converter all take the same ones; the converter also reads them gzip-compressed (`.gz`)
 * and encrypted (`.enc`).
 */
export const CAPTURE_EXTENSIONS = ['.pcap', '.pcapng', '.cap'] as const;

/** Whether a file name (no folder part, no `.gz`/`.enc` wrapper) ends like a capture. */
export function hasCaptureExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return CAPTURE_EXTENSIONS.some((extension) => lower.endsWith(extension) && lower.length > extension.length);
}
