/**
 * Capture file names on the drive. Two styles (the reference: "from version
 * 11 on the generated pcap file have a different format"):
 *  - v10, written by a gateway: `<confId>.pcap`;
 *  - v11, written by a phone or a v11 gateway: `<confId>-<device>-<counter>.pcap`,
 *    device = the writer's serial/MAC, counter = the writer's own file counter.
 * confId is the PBX's conference id, 32 hex digits; it correlates the file
 * with the call's CDRs.
 */
import { CAPTURE_EXTENSIONS } from '../../domain/index.js';

export interface CaptureName {
  /** The conference id, lower case. */
  readonly confId: string;
  /** v11 names: the writing device's id (lower case) and its file counter. */
  readonly device?: string;
  readonly counter?: number;
}

/** The conference id, the v11 device and counter, and any capture ending the drive takes (pcapng too). */
const CAPTURE_NAME = new RegExp(`^([0-9a-f]{32})(?:-([0-9a-z]{1,32})-(\\d{1,9}))?(?:${CAPTURE_EXTENSIONS.map((ending) => ending.replace('.', '\\.')).join('|')})$`, 'i');

/** Parse a capture file name (no directory part); undefined when it is none. */
export function parseCaptureName(captureName: string): CaptureName | undefined {
  const match = CAPTURE_NAME.exec(captureName);
  if (!match) return undefined;
  const confId = match[1]!.toLowerCase();
  if (match[2] === undefined) return { confId };
  return { confId, device: match[2].toLowerCase(), counter: Number(match[3]) };
}

/** The conference id of a capture name in either style; undefined if `captureName` is no capture name. */
export function confIdOfCapture(captureName: string): string | undefined {
  return parseCaptureName(captureName)?.confId;
}

/**
 * The call id a capture's recording is named with: the conference id, and
 * for a phone's capture (one per call leg, each its own recording) its
 * device and counter too.
 */
export function recordingCallIdOf(captureName: string, parsed: CaptureName | undefined = parseCaptureName(captureName)): string {
  if (!parsed) return captureName;
  return parsed.device !== undefined ? `${parsed.confId}-${parsed.device}-${parsed.counter ?? 0}` : parsed.confId;
}

/** Who wrote a recording's capture, from its call id: a phone's carries its device and counter (see above). */
export function recordedByOfCallId(callId: string): 'phone' | 'gateway' {
  return parseCaptureName(`${callId}.pcap`)?.device !== undefined ? 'phone' : 'gateway';
}
