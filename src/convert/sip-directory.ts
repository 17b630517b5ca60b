import type { SignallingDirectory } from '../calls/index.js';

/** TEMPORARY until src/sip lands. */
export function createSipDirectory(): SignallingDirectory {
  return {
    offer: () => false,
    describes: () => false,
    payloadType: () => undefined,
    mediaOwner: () => undefined,
  };
}
