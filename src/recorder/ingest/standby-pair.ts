/**
 * The active and the standby PBX's drives as one (the reference's "Active/Standby CF": after a failover the
 * gateway and phones write their captures to the standby PBX's drive). Both are listed at every poll, so a capture
 * is taken from wherever it was written — the standby's during a failover, the active's again after the switch
 * back, and what a call in flight left on the other one — and nothing waits for a switch that never comes.
 * Reachability is the drive of the PBX the SOAP link last worked with: the standby's drive being away while the
 * active PBX runs is normal, not a PCAP alarm; the active's drive being away while the link is on the standby is
 * the failover itself. What the other drive holds is taken as soon as it answers again.
 */
import type { Keyring } from '../../platform/crypto/index.js';
import type { CaptureDrive, DownloadResult, DriveEntry } from './drive.js';
import { DriveError } from './drive.js';

export type PbxRole = 'active' | 'standby';

export interface StandbyPairOptions {
  readonly active: CaptureDrive;
  readonly standby: CaptureDrive;
  /** Which PBX the recorder works with now (the SOAP link's last PBX up). */
  readonly following: () => PbxRole;
  /** The drive not followed became unreachable (error) or answered again (undefined); said once per change. */
  readonly onOtherDrive?: (role: PbxRole, drive: string, error: DriveError | undefined) => void;
}

export class StandbyPairDrive implements CaptureDrive {
  /** Which drive each name was last listed on: downloads and removals go there. */
  private readonly whereListed = new Map<string, PbxRole>();
  private readonly otherDown: Record<PbxRole, boolean> = { active: false, standby: false };

  constructor(private readonly options: StandbyPairOptions) {}

  private driveOf(role: PbxRole): CaptureDrive {
    return role === 'active' ? this.options.active : this.options.standby;
  }

  describe(): string {
    const role = this.options.following();
    return `${this.driveOf(role).describe()} (the ${role} PBX's drive)`;
  }

  async list(signal?: AbortSignal): Promise<DriveEntry[]> {
    const followed = this.options.following();
    const other: PbxRole = followed === 'active' ? 'standby' : 'active';
    const [mine, theirs] = await Promise.allSettled([this.driveOf(followed).list(signal), this.driveOf(other).list(signal)]);
    if (mine.status === 'rejected') throw mine.reason;
    this.noteOther(other, theirs.status === 'rejected' ? asDriveError(theirs.reason, this.driveOf(other)) : undefined);
    const entries = new Map<string, { entry: DriveEntry; role: PbxRole }>();
    // A name on both drives (not expected: names carry the call) is taken from the followed one first; the other
    // copy is listed once that one is gone.
    if (theirs.status === 'fulfilled') for (const entry of theirs.value) entries.set(entry.name, { entry, role: other });
    for (const entry of mine.value) entries.set(entry.name, { entry, role: followed });
    // Names of a drive that did not answer keep their place: a removal then fails there instead of "succeeding" on
    // the other drive, which does not have the file.
    for (const [name, role] of this.whereListed) if (role === followed || theirs.status === 'fulfilled') this.whereListed.delete(name);
    for (const [name, { role }] of entries) this.whereListed.set(name, role);
    return [...entries.values()].map(({ entry }) => entry);
  }

  download(name: string, destination: string, signal?: AbortSignal, seal?: Keyring): Promise<DownloadResult> {
    return this.driveOf(this.roleOf(name)).download(name, destination, signal, seal);
  }

  async remove(name: string, signal?: AbortSignal): Promise<void> {
    await this.driveOf(this.roleOf(name)).remove(name, signal);
    this.whereListed.delete(name);
  }

  private roleOf(name: string): PbxRole {
    return this.whereListed.get(name) ?? this.options.following();
  }

  private noteOther(role: PbxRole, error: DriveError | undefined): void {
    const down = error !== undefined;
    if (this.otherDown[role] === down) return;
    this.otherDown[role] = down;
    this.options.onOtherDrive?.(role, this.driveOf(role).describe(), error);
  }
}

function asDriveError(reason: unknown, drive: CaptureDrive): DriveError {
  return reason instanceof DriveError ? reason : new DriveError('io', drive.describe(), undefined, reason instanceof Error ? reason.message : String(reason));
}
