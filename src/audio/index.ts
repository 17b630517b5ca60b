export { SampleTrack, TRACK_BLOCK_SAMPLES } from './sample-track.js';
export type { SampleTrackOptions } from './sample-track.js';
export { WavFileWriter, buildWavHeader, wavHeaderLength } from './wav.js';
export type { WavEncoding, WavFormat } from './wav.js';
export { upsample2x, UPSAMPLE_HALF_TAPS } from './resample.js';
