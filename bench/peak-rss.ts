import { readFileSync } from 'node:fs';

/**
 * This process's peak resident memory in KiB. Linux's getrusage maxrss carries over the parent's peak across
 * fork and exec (a bench child forked from a parent holding a 300 MB capture reported 300 MB); VmHWM belongs to
 * the address space the exec made, so it is the child's own. Elsewhere, getrusage.
 */
export function peakRssKb(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}
