// The waveform canvas: external (left channel) above the centre line, internal (right) below; the played part
// bright, loop memories shaded, the cursor as a line. A click or drag seeks.
const COLOURS = { l: '#38bdf8', r: '#f59e0b', lDim: 'rgba(56, 189, 248, .38)', rDim: 'rgba(245, 158, 11, .38)' };

export class WaveformView {
  constructor(canvas, onSeek) {
    this.canvas = canvas;
    this.onSeek = onSeek;
    this.data = null;
    this.position = 0; // 0…1
    this.loops = [];
    this.activeLoop = -1;
    let dragging = false;
    const seekAt = (event) => {
      const rect = canvas.getBoundingClientRect();
      const fraction = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
      this.onSeek(fraction);
    };
    canvas.addEventListener('pointerdown', (event) => {
      dragging = true;
      canvas.setPointerCapture(event.pointerId);
      seekAt(event);
    });
    canvas.addEventListener('pointermove', (event) => dragging && seekAt(event));
    canvas.addEventListener('pointerup', () => (dragging = false));
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  set(data) {
    this.data = data;
    this.draw();
  }

  update(position, loops, activeLoop) {
    this.position = position;
    this.loops = loops;
    this.activeLoop = activeLoop;
    this.draw();
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const g = canvas.getContext('2d');
    g.clearRect(0, 0, width, height);
    const duration = this.data?.durationMs ? this.data.durationMs / 1000 : 0;

    // Loop memories
    this.loops.forEach((loop, i) => {
      if (!loop || loop.from === undefined || duration === 0) return;
      const x0 = (loop.from / duration) * width;
      const x1 = loop.to !== undefined ? (loop.to / duration) * width : x0 + 2 * ratio;
      g.fillStyle = i === this.activeLoop ? 'rgba(147, 197, 253, .22)' : 'rgba(147, 197, 253, .10)';
      g.fillRect(x0, 0, Math.max(2, x1 - x0), height);
      g.fillStyle = 'rgba(191, 219, 254, .9)';
      g.font = `${10 * ratio}px system-ui, sans-serif`;
      g.fillText(`M${i + 1}`, x0 + 3 * ratio, 11 * ratio);
    });

    const mid = height / 2;
    g.fillStyle = 'rgba(147, 163, 184, .35)';
    g.fillRect(0, Math.floor(mid), width, Math.max(1, ratio));
    if (this.data && this.data.buckets > 0) {
      const { buckets, min, max, channels } = this.data;
      const played = this.position * width;
      const half = mid - 3 * ratio;
      // Quiet calls are drawn larger (up to 4×), so both parties stay visible.
      let top = 1;
      for (let c = 0; c < channels; c++) for (let b = 0; b < buckets; b++) top = Math.max(top, Math.abs(min[c][b]), Math.abs(max[c][b]));
      const gain = Math.min(4, 120 / top);
      for (let x = 0; x < width; x++) {
        const b = Math.min(buckets - 1, Math.floor((x / width) * buckets));
        const done = x <= played;
        // Left channel (external): its absolute peak above the line.
        const l = Math.min(1, (Math.max(Math.abs(min[0][b]), Math.abs(max[0][b])) * gain) / 127);
        g.fillStyle = done ? COLOURS.l : COLOURS.lDim;
        g.fillRect(x, mid - 1 - l * half, 1, Math.max(1, l * half));
        const rc = channels > 1 ? 1 : 0;
        const r = Math.min(1, (Math.max(Math.abs(min[rc][b]), Math.abs(max[rc][b])) * gain) / 127);
        g.fillStyle = done ? COLOURS.r : COLOURS.rDim;
        g.fillRect(x, mid + 1 + ratio, 1, Math.max(1, r * half));
      }
    } else {
      g.fillStyle = 'rgba(147, 163, 184, .7)';
      g.font = `${12 * ratio}px system-ui, sans-serif`;
      g.fillText(this.data === null ? 'Loading waveform…' : 'No waveform for this recording', 10 * ratio, 18 * ratio);
    }
    const cursor = this.position * width;
    g.fillStyle = '#ffffff';
    g.fillRect(Math.min(width - 2 * ratio, cursor), 0, 2 * ratio, height);
  }
}
