import type { SignallingDirectory } from '../../media/calls/index.js';
import { SipDialogTracker } from '../../media/sip/index.js';

/** The signalling directory of one capture: SIP dialogs with their parties and SDP media endpoints. */
export function createSipDirectory(): SignallingDirectory {
  return new SipDialogTracker();
}
