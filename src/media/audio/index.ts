export { SampleTrack, TrackMemory, TRACK_BLOCK_SAMPLES, readStereoFrames } from './sample-track.js';
export type { SampleTrackOptions, TrackMemoryOptions } from './sample-track.js';
export { WavFileWriter, buildWavHeader, wavHeaderLength } from './wav.js';
export type { WavEncoding, WavFormat } from './wav.js';
export { upsample2x, UPSAMPLE_HALF_TAPS } from './resample.js';
export { Mp3FileWriter, buildId3Tag } from './mp3.js';
export { OggOpusDecoder, OpusFileWriter, OpusFormatError, buildOpusHead, buildOpusTags, opusPreSkip, OPUS_COMPLEXITY } from './opus.js';
export type { DecodedOpusBlock, OpusFormat } from './opus.js';
export { OggFormatError, OggPacketReader, OggStreamWriter, buildOggPage, oggCrc } from './ogg.js';
export type { OggPacket } from './ogg.js';
export { openMp3Encoder, mp3EncoderKind, mp3EncoderAdaptations } from './lame.js';
export type { Mp3EncoderAdaptations } from './lame.js';
export { lameWasmReady, prepareLameWasm } from './lame-wasm.js';
export type { Mp3EncoderStream } from './lame.js';
export type { Id3Tags, Mp3Format } from './mp3.js';

/** What every recording writer does: take interleaved frames, then land atomically or vanish. */
export interface RecordingWriter {
  write(interleaved: Int16Array): void;
  finish(): { bytes: number; frames: number };
  abort(): void;
}
