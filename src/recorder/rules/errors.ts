/**
 * Why the rules engine cannot decide about a capture. Each names the capture
 * file it was asked about, so a log line says which file is stuck and why.
 */

/** The file name is no capture name (`<confId>.pcap` or `<confId>-<device>-<counter>.pcap`). */
export class CaptureNameError extends Error {
  override readonly name = 'CaptureNameError';
  constructor(readonly captureName: string) {
    super(`${JSON.stringify(captureName)}: not a capture name (expected <confId>.pcap or <confId>-<device>-<counter>.pcap, confId = 32 hex digits)`);
  }
}

/**
 * The reporting has no CDR for the capture's conference: either the CDRs are
 * not written yet (the PBX writes them at the call's end, the reporting may
 * lag) or no user of the call has a reporting licence. The caller retries
 * later and, when the retries are used up, deletes the capture (a call without
 * a licensed user has no Agent, so the reference would delete it anyway).
 */
export class NoCdrError extends Error {
  override readonly name: string = 'NoCdrError';
  constructor(
    readonly captureName: string,
    readonly confId: string,
    message = `${captureName}: no CDR for conference ${confId} (not reported yet, or no user of the call has a reporting licence)`,
  ) {
    super(message);
  }
}

/**
 * A phone's capture, and records that name no device (Report XML): whose
 * phone wrote it is unknown. Handled as a missing record: asked again (the
 * CDR-XML naming the device may still arrive through the CDR interface),
 * then quarantined, never filed under a guess.
 */
export class DeviceUnknownError extends NoCdrError {
  override readonly name = 'DeviceUnknownError';
  constructor(
    captureName: string,
    confId: string,
    readonly device: string,
    readonly agents: readonly string[],
  ) {
    super(
      captureName,
      confId,
      `${captureName}: phone capture of device ${device}, and the records of conference ${confId} (Report XML) name no device: which of the Agents ${agents.length > 0 ? agents.join(', ') : '(none)'} or other users it belongs to is unknown; phone recording needs the recorder as a CDR interface of the PBX`,
    );
  }
}

/** CDRs handed in for a capture belong to another conference: the caller queried or matched the wrong call. */
export class CdrConfMismatchError extends Error {
  override readonly name = 'CdrConfMismatchError';
  constructor(
    readonly captureName: string,
    readonly confId: string,
    /** The conference ids of the CDRs that do not match, each once. */
    readonly foreignConfIds: readonly string[],
  ) {
    super(`${captureName}: CDRs of conference ${foreignConfIds.join(', ')} do not belong to the capture's conference ${confId}`);
  }
}
