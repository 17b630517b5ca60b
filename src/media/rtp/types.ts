/** A parsed RTP packet (RFC 3550). `payload` excludes header, CSRCs, extension and padding. */
export interface RtpPacket {
  readonly version: 2;
  readonly padding: boolean;
  readonly extension: boolean;
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs: readonly number[];
  /** Header extension profile and data, when the X bit is set. */
  readonly extensionProfile?: number;
  readonly extensionData?: Uint8Array;
  readonly payload: Uint8Array;
}

/** An RFC 4733 telephone-event (DTMF) payload. */
export interface TelephoneEvent {
  /** 0-9, 10 = '*', 11 = '#', 12-15 = A-D, others as defined by RFC 4733. */
  readonly event: number;
  readonly end: boolean;
  readonly volume: number;
  /** Duration in RTP clock units. */
  readonly duration: number;
}
