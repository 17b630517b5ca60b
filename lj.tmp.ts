import { Mp3Encoder } from '@breezystack/lamejs';
import { openMp3Encoder } from './src/media/audio/index.js';
import { toneSignal } from './src/embedded/index.js';
const frames = 8000 * 120;
const l = toneSignal(frames, 8000, 440, 1250), r = toneSignal(frames, 8000, 300, 2100);
const B = 1152 * 8;
function runPublic() { const t = performance.now(); const e = new Mp3Encoder(2, 8000, 32); for (let i = 0; i < frames; i += B) e.encodeBuffer(l.subarray(i, i + B), r.subarray(i, i + B)); e.flush(); return performance.now() - t; }
function runOurs() { const t = performance.now(); const e = openMp3Encoder(2, 8000, 32, 'lamejs'); for (let i = 0; i < frames; i += B) e.encodeBuffer(l.subarray(i, i + B), r.subarray(i, i + B)); e.flush(); return performance.now() - t; }
const pub: number[] = [], ours: number[] = [];
for (let k = 0; k < 6; k++) { pub.push(runPublic()); ours.push(runOurs()); }
console.log('public lamejs ms per 2-min call', pub.map(Math.round).join(' '), '→ best', Math.round(Math.min(...pub)), `(${(120000/Math.min(...pub)).toFixed(0)}x)`);
console.log('rewritten/reused ms per 2-min call', ours.map(Math.round).join(' '), '→ best', Math.round(Math.min(...ours)), `(${(120000/Math.min(...ours)).toFixed(0)}x)`);
