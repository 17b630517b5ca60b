// A conversion worker with faults on demand, for the pool's tests: crash, hang, throw, or convert normally.
import convertJob from '../../workers/convert-worker.js';
import type { ConvertJob } from '../../workers/convert-worker.js';

export default async function faultyJob(job: ConvertJob) {
  if (job.input.endsWith('crash.pcap')) process.exit(70);
  if (job.input.endsWith('hang.pcap')) await new Promise(() => {});
  if (job.input.endsWith('throw.pcap')) throw new Error('job failed on purpose');
  return convertJob(job);
}
