/**
 * The G.729 decoder (ITU-T G.729 CS-ACELP, 8 kbit/s) with Annex B (SID frames,
 * discontinuous transmission, comfort noise), in two variants: the full G.729 decoder and
 * the reduced-complexity decoder of Annex A (same bitstream, simpler postfilter).
 * Bit-exact with the ITU-T reference decoders: every operation is the Recommendation's
 * fixed-point operation, in its order.
 */
import { L_shl, add, norm_l, round, shl, shr, sub } from './basicops.js';
import { SID_FRAME_BYTES, SPEECH_FRAME_BYTES, unpackSidFrame, unpackSpeechFrame } from './bitstream.js';
import { CngState, INIT_SEED, decodeCng } from './cng.js';
import { energy, interpolateLpc, predLt3, SynthesisFilter } from './dsp.js';
import { GainDecoderState, decodeAcelp, decodeGain, decodeLag, lagOut, nextRandom, parityError } from './excitation.js';
import { LspDecoderState, decodeLsp } from './lsp.js';
import { G729APostFilter } from './postfilter-a.js';
import { G729PostFilter } from './postfilter.js';
import { KernelArena, int16In } from './kernels.js';
import type { G729Kernels } from './kernels.js';
import { HighPassFilter } from './postprocess.js';

// Codec constants as local (non-exported) bindings: imported or exported module bindings are
// read through a cell with a hole check on every use, even in hot loops; local constants fold.
const L_FRAME = 80;
const L_INTERPOL = 11;
const L_SUBFR = 40;
const M = 10;
const MP1 = 11;
const PIT_MAX = 143;
const MAX_32 = 2147483647;
const MIN_32 = -2147483648;

/** 'g729': full G.729 decoder (default). 'g729a': Annex A reduced-complexity decoder. */
export type G729Variant = 'g729' | 'g729a';

export interface G729DecoderOptions {
  readonly variant?: G729Variant;
  /**
   * The hot loops: 'auto' (default) runs them in WebAssembly where the built module loads, else in
   * TypeScript; 'wasm' insists (throws without it); 'js' never uses it. The samples are the same.
   */
  readonly kernels?: G729Kernels;
}

/** Samples per 10 ms frame. */
export const G729_FRAME_SAMPLES = L_FRAME;

const SHARPMAX = 13017;
const SHARPMIN = 3277;
const LSP_OLD_RESET = [30000, 26000, 21000, 15000, 8000, 0, -8000, -15000, -21000, -26000];
/** Offset of the current frame's excitation in oldExc (after PIT_MAX + L_INTERPOL of history). */
const EXC = PIT_MAX + L_INTERPOL;
/** Size of the excitation window (history and current frame). */
const EXC_WINDOW = EXC + L_FRAME;
/**
 * oldExc holds its window at a sliding base offset in a buffer EXC_SLOTS frames longer: each
 * frame advances the base, and the history moves back to the start only at the end.
 */
const EXC_SLOTS = 8;
const FRAME_SPEECH = 1;
const FRAME_SID = 2;
const FRAME_NONE = 0;

/** round(L_shl(L_mac(L_mult(x, gp), c, gc), 1)): one sample of the total excitation. */
function mixExcitation(x: number, gp: number, c: number, gc: number): number {
  let p = Math.imul(x, gp);
  let q = Math.imul(c, gc);
  if (p !== 0x40000000 && q !== 0x40000000) {
    // gp, gc < 2^15, so |p|, |q| < 2^30 and s = p + q is an int32. While s is in
    // [-2^29, 2^29 - 2^13) nothing saturates: round(L_shl(2 s, 1)) = (s + 2^13) >> 14.
    const s = (p + q) | 0;
    if (s < 0x1fffe000 && s >= -0x20000000) return (s + 0x2000) >> 14;
  }
  p = p === 0x40000000 ? MAX_32 : p * 2;
  q = q === 0x40000000 ? MAX_32 : q * 2;
  let L = p + q;
  if (L > MAX_32) L = MAX_32;
  else if (L < MIN_32) L = MIN_32;
  L *= 2;
  if (L > MAX_32) L = MAX_32;
  else if (L < MIN_32) L = MIN_32;
  L += 0x8000;
  if (L > MAX_32) L = MAX_32;
  return L >> 16;
}

export class G729Decoder {
  readonly variant: G729Variant;
  /** Where this decoder's hot loops run. */
  readonly kernels: 'wasm' | 'js';

  /** The WebAssembly kernels' instance, whose memory holds the arrays they touch; null: TypeScript loops. */
  private readonly arena: KernelArena | null;
  private readonly oldExc: Int16Array;
  /** Start of the excitation window in oldExc. */
  private excBase = 0;
  private readonly lspOld = new Int16Array(M);
  private readonly memSyn = new Int16Array(M);
  private readonly synthesis = new SynthesisFilter();
  private sharp = SHARPMIN;
  private oldT0 = 60;
  private seedFer = 21845;
  /** Type of the previous frame: 1 speech, 2 SID, 0 untransmitted. */
  private pastFrameType = FRAME_SPEECH;
  private sidSav = 0;
  private shSidSav = 1;
  /** Voicing decision of the previous frame (full decoder: chooses the erasure excitation). */
  private voicing = 60;
  private subframeVoicing = 0;

  private readonly lsp = new LspDecoderState();
  private readonly gain = new GainDecoderState();
  private readonly cng = new CngState();
  private readonly post: G729PostFilter | null;
  private readonly postA: G729APostFilter | null;
  private readonly hpf = new HighPassFilter();

  private readonly synthBuf: Int16Array;
  private readonly az = new Int16Array(2 * MP1);
  private readonly pstOut = new Int16Array(L_FRAME);
  private readonly prm = new Int32Array(11);
  private readonly sid = new Int16Array(4);
  private readonly code = new Int16Array(L_SUBFR);
  private readonly lspNew = new Int16Array(M);
  private readonly lags = new Int32Array(2);

  constructor(opts: G729DecoderOptions = {}) {
    this.variant = opts.variant ?? 'g729';
    if (this.variant !== 'g729' && this.variant !== 'g729a') throw new RangeError(`unknown G.729 variant: ${String(this.variant)}`);
    const arena = KernelArena.open(opts.kernels ?? 'auto');
    this.arena = arena;
    this.kernels = arena ? 'wasm' : 'js';
    this.oldExc = int16In(arena, EXC_WINDOW + EXC_SLOTS * L_FRAME);
    this.synthBuf = int16In(arena, M + L_FRAME);
    this.post = this.variant === 'g729' ? new G729PostFilter(arena) : null;
    this.postA = this.variant === 'g729a' ? new G729APostFilter(arena) : null;
    this.reset();
  }

  /** Back to the initial state of the reference decoder. */
  reset(): void {
    this.oldExc.fill(0);
    this.excBase = 0;
    this.lspOld.set(LSP_OLD_RESET);
    this.memSyn.fill(0);
    this.sharp = SHARPMIN;
    this.oldT0 = 60;
    this.seedFer = 21845;
    this.pastFrameType = FRAME_SPEECH;
    this.sidSav = 0;
    this.shSidSav = 1;
    this.voicing = 60;
    this.subframeVoicing = 0;
    this.lsp.reset();
    this.gain.reset();
    this.cng.reset();
    this.post?.reset();
    this.postA?.reset();
    this.hpf.reset();
    this.synthBuf.fill(0);
  }

  /**
   * Decode one 10 ms frame into out[outOffset..outOffset+80).
   * frame: 10 bytes = speech, 2 bytes = Annex B SID, 0 bytes = untransmitted (DTX),
   * null = erased/lost (concealed). Any other length is treated as erased.
   */
  decodeFrame(frame: Uint8Array | null, out: Int16Array, outOffset = 0): void {
    let bfi = false;
    let frameType: number;
    if (frame === null) {
      bfi = true;
      frameType = FRAME_SPEECH;
    } else if (frame.length === SPEECH_FRAME_BYTES) {
      frameType = FRAME_SPEECH;
      unpackSpeechFrame(frame, this.prm);
      this.prm[3] = parityError(this.prm[2]!, this.prm[3]!);
    } else if (frame.length === SID_FRAME_BYTES) {
      frameType = FRAME_SID;
      unpackSidFrame(frame, this.sid);
    } else if (frame.length === 0) {
      frameType = FRAME_NONE;
    } else {
      bfi = true;
      frameType = FRAME_SPEECH;
    }
    if (bfi) {
      // An erasure continues the previous kind of signal: speech concealment or comfort noise.
      this.prm.fill(0);
      if (this.pastFrameType === FRAME_SPEECH) {
        frameType = FRAME_SPEECH;
        this.prm[3] = 1;
      } else frameType = FRAME_NONE;
    }

    const synth = this.synthBuf;
    const exc = this.oldExc;
    const excBase = this.excBase;
    if (frameType !== FRAME_SPEECH) {
      decodeCng(this.cng, this.pastFrameType, frameType === FRAME_SID ? this.sid : null, this.sidSav, this.shSidSav,
        exc, excBase + EXC, this.lspOld, this.az, this.lsp.freqPrev);
      for (let k = 0; k < 2; k++) {
        this.synthesize(k);
        this.lags[k] = this.oldT0;
      }
      this.sharp = SHARPMIN;
    } else {
      this.decodeSpeech(bfi);
    }

    if (!bfi) {
      // Energy of this frame's excitation: the SID gain estimate if transmission stops next.
      const L = energy(0, exc, excBase + EXC, L_FRAME);
      const sh = norm_l(L);
      this.sidSav = round(L_shl(L, sh));
      this.shSidSav = sub(16, sh);
    }
    // Slide the window by one frame (moving the history back to the start at the end).
    if (excBase + L_FRAME + EXC_WINDOW <= exc.length) this.excBase = excBase + L_FRAME;
    else {
      exc.copyWithin(0, excBase + L_FRAME, excBase + EXC_WINDOW);
      this.excBase = 0;
    }
    const active = frameType === FRAME_SPEECH;
    this.pastFrameType = frameType;

    if (this.post) {
      this.voicing = 0;
      for (let k = 0; k < 2; k++) {
        const vo = this.post.run(this.lags[0]!, synth, M + k * L_SUBFR, this.az, k * MP1, this.pstOut, k * L_SUBFR, active);
        if (vo >= 0) this.subframeVoicing = vo;
        if (this.subframeVoicing !== 0) this.voicing = this.subframeVoicing;
      }
      for (let i = 0; i < M; i++) synth[i] = synth[L_FRAME + i]!;
      this.hpf.runTo(this.pstOut, 0, out, outOffset, L_FRAME);
    } else {
      this.postA!.run(synth, M, this.az, this.lags, active);
      this.hpf.runTo(this.postA!.output, 0, out, outOffset, L_FRAME);
    }
  }

  /** Speech frame (or its concealment): LSP, then per subframe lag, codebooks, gains, synthesis. */
  private decodeSpeech(bfi: boolean): void {
    const prm = this.prm;
    const exc = this.oldExc;
    const code = this.code;
    const gain = this.gain;
    this.cng.seed = INIT_SEED;
    decodeLsp(this.lsp, prm[0]!, prm[1]!, bfi, this.lspNew);
    interpolateLpc(this.lspOld, this.lspNew, this.az);
    for (let i = 0; i < M; i++) this.lspOld[i] = this.lspNew[i]!;

    let t0 = this.oldT0;
    for (let k = 0; k < 2; k++) {
      const sf = k * L_SUBFR;
      const p = k === 0 ? 2 : 7; // pitch index of this subframe
      const c = k === 0 ? 4 : 8; // codebook position index (sign follows)
      const badPitch = k === 0 ? bfi || prm[3] !== 0 : bfi;
      let frac: number;
      if (!badPitch) {
        decodeLag(prm[p]!, k === 0, t0);
        t0 = lagOut.t0;
        frac = lagOut.frac;
        this.oldT0 = t0;
      } else {
        t0 = this.oldT0;
        frac = 0;
        this.oldT0 = add(this.oldT0, 1);
        if (this.oldT0 > PIT_MAX) this.oldT0 = PIT_MAX;
      }
      this.lags[k] = t0;
      if (this.arena) this.arena.exports.predLt3(exc.byteOffset, this.excBase + EXC + sf, t0, frac, L_SUBFR, this.arena.inter3lAddress);
      else predLt3(exc, this.excBase + EXC + sf, t0, frac, L_SUBFR);

      let posIndex = prm[c]!;
      let signIndex = prm[c + 1]!;
      if (bfi) {
        this.seedFer = nextRandom(this.seedFer);
        posIndex = this.seedFer & 0x1fff;
        this.seedFer = nextRandom(this.seedFer);
        signIndex = this.seedFer & 0xf;
      }
      decodeAcelp(signIndex, posIndex, code);
      const sharp15 = shl(this.sharp, 1);
      if (t0 < L_SUBFR) {
        // mult() saturates only for -32768 * -32768 (sharp15 > 0 here); add() can.
        for (let i = t0; i < L_SUBFR; i++) {
          const v = code[i]! + (Math.imul(code[i - t0]!, sharp15) >> 15);
          code[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        }
      }

      decodeGain(gain, prm[c + 2]!, code, bfi);
      let sharp = gain.gainPitch;
      if (sharp > SHARPMAX) sharp = SHARPMAX;
      if (sharp < SHARPMIN) sharp = SHARPMIN;
      this.sharp = sharp;

      let gp = gain.gainPitch;
      let gc = gain.gainCode;
      if (bfi && this.variant === 'g729') {
        // Full decoder: conceal with the adaptive part only when the last good frame was voiced.
        if (this.voicing === 0) gp = 0;
        else gc = 0;
      }
      // exc = gp * exc + gc * code, i.e. round(L_shl(L_mac(L_mult(exc, gp), code, gc), 1)); two samples per pass.
      for (let i = 0; i < L_SUBFR; i += 2) {
        const e = this.excBase + EXC + sf + i;
        exc[e] = mixExcitation(exc[e]!, gp, code[i]!, gc);
        exc[e + 1] = mixExcitation(exc[e + 1]!, gp, code[i + 1]!, gc);
      }
      this.synthesize(k);
    }
  }

  /** Synthesis of subframe k; on overflow the whole excitation history is scaled down by 4 and the subframe redone. */
  private synthesize(k: number): void {
    const sf = k * L_SUBFR;
    const x = this.excBase + EXC + sf;
    if (this.synthesis.run(this.az, k * MP1, this.oldExc, x, this.synthBuf, M + sf, L_SUBFR, this.memSyn, false)) {
      const exc = this.oldExc;
      for (let i = this.excBase; i < this.excBase + EXC_WINDOW; i++) exc[i] = shr(exc[i]!, 2);
      this.synthesis.run(this.az, k * MP1, exc, x, this.synthBuf, M + sf, L_SUBFR, this.memSyn, true);
    } else {
      const mem = this.memSyn;
      const y = this.synthBuf;
      const e = sf + L_SUBFR;
      mem[0] = y[e]!;
      mem[1] = y[e + 1]!;
      mem[2] = y[e + 2]!;
      mem[3] = y[e + 3]!;
      mem[4] = y[e + 4]!;
      mem[5] = y[e + 5]!;
      mem[6] = y[e + 6]!;
      mem[7] = y[e + 7]!;
      mem[8] = y[e + 8]!;
      mem[9] = y[e + 9]!;
    }
  }
}

/**
 * Decode an RTP G.729 payload: n 10-octet speech frames, optionally followed by one 2-octet
 * SID frame (RFC 3551). Returns 80 samples per frame. Trailing octets that form no frame are ignored.
 */
export function decodeG729Payload(payload: Uint8Array, decoder: G729Decoder): Int16Array {
  const speechFrames = Math.floor(payload.length / SPEECH_FRAME_BYTES);
  const hasSid = payload.length % SPEECH_FRAME_BYTES === SID_FRAME_BYTES;
  const out = new Int16Array((speechFrames + (hasSid ? 1 : 0)) * L_FRAME);
  for (let f = 0; f < speechFrames; f++) {
    decoder.decodeFrame(payload.subarray(f * SPEECH_FRAME_BYTES, (f + 1) * SPEECH_FRAME_BYTES), out, f * L_FRAME);
  }
  if (hasSid) decoder.decodeFrame(payload.subarray(speechFrames * SPEECH_FRAME_BYTES), out, speechFrames * L_FRAME);
  return out;
}
