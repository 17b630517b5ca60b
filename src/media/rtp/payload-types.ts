// RFC 3551 §6, Tables 4 and 5: the static RTP payload types.

/** A static payload type's encoding as RFC 3551 assigns it. */
export interface StaticPayloadType {
  /** Encoding name as SDP writes it in a=rtpmap. */
  readonly encoding: string;
  readonly media: 'audio' | 'video' | 'audio/video';
  /** RTP timestamp clock rate in Hz. */
  readonly clockRate: number;
  /** Audio channels (audio only). */
  readonly channels?: number;
  /**
   * The audio's real sampling rate where it differs from the RTP clock: G.722
   * is sampled at 16 kHz but its RTP clock runs at 8000 Hz for historical
   * reasons (RFC 3551 §4.5.2), so timestamps advance by half the samples.
   */
  readonly sampleRate?: number;
}

/** Static payload types by number (RFC 3551 Tables 4 and 5); numbers not listed are unassigned, reserved or dynamic (96–127). */
export const staticPayloadTypes: ReadonlyMap<number, StaticPayloadType> = new Map<number, StaticPayloadType>([
  [0, { encoding: 'PCMU', media: 'audio', clockRate: 8000, channels: 1 }],
  [3, { encoding: 'GSM', media: 'audio', clockRate: 8000, channels: 1 }],
  [4, { encoding: 'G723', media: 'audio', clockRate: 8000, channels: 1 }],
  [5, { encoding: 'DVI4', media: 'audio', clockRate: 8000, channels: 1 }],
  [6, { encoding: 'DVI4', media: 'audio', clockRate: 16000, channels: 1 }],
  [7, { encoding: 'LPC', media: 'audio', clockRate: 8000, channels: 1 }],
  [8, { encoding: 'PCMA', media: 'audio', clockRate: 8000, channels: 1 }],
  [9, { encoding: 'G722', media: 'audio', clockRate: 8000, channels: 1, sampleRate: 16000 }],
  [10, { encoding: 'L16', media: 'audio', clockRate: 44100, channels: 2 }],
  [11, { encoding: 'L16', media: 'audio', clockRate: 44100, channels: 1 }],
  [12, { encoding: 'QCELP', media: 'audio', clockRate: 8000, channels: 1 }],
  [13, { encoding: 'CN', media: 'audio', clockRate: 8000, channels: 1 }],
  [14, { encoding: 'MPA', media: 'audio', clockRate: 90000 }],
  [15, { encoding: 'G728', media: 'audio', clockRate: 8000, channels: 1 }],
  [16, { encoding: 'DVI4', media: 'audio', clockRate: 11025, channels: 1 }],
  [17, { encoding: 'DVI4', media: 'audio', clockRate: 22050, channels: 1 }],
  [18, { encoding: 'G729', media: 'audio', clockRate: 8000, channels: 1 }],
  [25, { encoding: 'CelB', media: 'video', clockRate: 90000 }],
  [26, { encoding: 'JPEG', media: 'video', clockRate: 90000 }],
  [28, { encoding: 'nv', media: 'video', clockRate: 90000 }],
  [31, { encoding: 'H261', media: 'video', clockRate: 90000 }],
  [32, { encoding: 'MPV', media: 'video', clockRate: 90000 }],
  [33, { encoding: 'MP2T', media: 'audio/video', clockRate: 90000 }],
  [34, { encoding: 'H263', media: 'video', clockRate: 90000 }],
]);

/** RFC 3551 §3: payload types 96–127 are bound by signalling (SDP a=rtpmap). */
export function isDynamicPayloadType(payloadType: number): boolean {
  return payloadType >= 96 && payloadType <= 127;
}

/**
 * The audio sampling rate behind an encoding and its RTP clock: the clock
 * itself except for G.722, whose 8000 Hz clock stands for 16 kHz audio.
 */
export function audioSampleRate(encoding: string, clockRate: number): number {
  return encoding.toUpperCase() === 'G722' && clockRate === 8000 ? 16000 : clockRate;
}
