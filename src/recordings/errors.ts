/** Why a storage operation refused or failed. Messages name the file (or item) and the reason. */
export type StoreErrorCode =
  | 'bad-name'
  | 'bad-sidecar'
  | 'bad-tan'
  | 'bad-input'
  | 'bad-timezone'
  | 'input-missing'
  | 'input-sealed'
  | 'not-found'
  | 'conflict'
  | 'forbidden'
  /** Under a legal hold: not deleted. */
  | 'held'
  | 'bad-index'
  | 'bad-filter'
  | 'feed';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** A file name that is not a recording name (`YYYY_MM_DD_HHMM_<internal>_<i|o>_<external>_<s>_<callId>[_T<tan>]`). */
export class RecordingNameError extends StoreError {
  constructor(
    readonly fileName: string,
    readonly reason: string,
  ) {
    super('bad-name', `${fileName}: not a recording name: ${reason}`);
    this.name = 'RecordingNameError';
  }
}

/** An XML sidecar that does not follow the format; `element` is the slash path of the offending element. */
export class SidecarError extends StoreError {
  constructor(
    readonly file: string,
    readonly element: string,
    readonly reason: string,
  ) {
    super('bad-sidecar', `${file}: <${element}>: ${reason}`);
    this.name = 'SidecarError';
  }
}

