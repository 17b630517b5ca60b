// The player deck: audio element + Web Audio graph (per-channel volume and level meters), transport, counters,
// waveform, four loop memories per recording and a playlist of up to 99 tracks.
import { api, recordingPath } from './api.js';
import { $, clock, h, toast } from './util.js';
import { WaveformView } from './waveform.js';

export const PLAYLIST_LIMIT = 99;
const MEMORIES = 4;

/** Level in dBFS of a buffer's peak, mapped to 0…1 over −60…0 dB. */
function level(value) {
  if (value <= 0) return 0;
  const db = 20 * Math.log10(value);
  return Math.min(1, Math.max(0, (db + 60) / 60));
}

class Meter {
  constructor(canvas) {
    this.canvas = canvas;
    this.peak = 0;
    this.peakAt = 0;
  }

  draw(rms, peak, now) {
    const c = this.canvas;
    const g = c.getContext('2d');
    const w = c.width;
    const hgt = c.height;
    g.clearRect(0, 0, w, hgt);
    const value = level(rms * 1.41);
    const grad = g.createLinearGradient(0, 0, w, 0);
    grad.addColorStop(0, '#22c55e');
    grad.addColorStop(0.7, '#84cc16');
    grad.addColorStop(0.85, '#f59e0b');
    grad.addColorStop(1, '#ef4444');
    g.fillStyle = grad;
    g.fillRect(0, 0, Math.round(value * w), hgt);
    const p = level(peak);
    if (p >= this.peak || now - this.peakAt > 1200) {
      this.peak = p;
      this.peakAt = now;
    } else this.peak = Math.max(p, this.peak - 0.004);
    g.fillStyle = '#ffffff';
    g.fillRect(Math.min(w - 2, Math.round(this.peak * w)), 0, 2, hgt);
  }
}

export class Player {
  /**
   * @param {{ onLoad: (row) => void, onEject: () => void, neighbour: (row, step) => object | undefined, onPlaylist: () => void }} hooks
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.audio = h('audio', { id: 'audio', preload: 'auto' });
    document.body.append(this.audio);
    this.row = null;
    this.details = null;
    this.playlist = [];
    this.current = -1;
    this.repeat = false;
    this.memories = [];
    this.activeMemory = 0;
    this.loopMode = 'off'; // off | one | all
    this.graph = null;
    this.muted = { l: false, r: false, m: false };
    this.waveform = new WaveformView($('waveform'), (fraction) => this.seekFraction(fraction));
    this.meters = { l: new Meter($('m-l')), r: new Meter($('m-r')) };
    this.#wire();
    requestAnimationFrame((t) => this.#tick(t));
  }

  #wire() {
    const a = this.audio;
    $('b-play').addEventListener('click', () => this.toggle());
    $('b-stop').addEventListener('click', () => this.stop());
    $('b-eject').addEventListener('click', () => this.eject());
    $('b-back').addEventListener('click', () => this.skip(-5));
    $('b-fwd').addEventListener('click', () => this.skip(5));
    $('b-next').addEventListener('click', () => this.step(1));
    $('b-prev').addEventListener('click', () => this.step(-1));
    $('b-repeat').addEventListener('click', () => {
      this.repeat = !this.repeat;
      $('b-repeat').setAttribute('aria-pressed', String(this.repeat));
    });
    a.addEventListener('play', () => this.#playState());
    a.addEventListener('pause', () => this.#playState());
    a.addEventListener('ended', () => this.#ended());
    a.addEventListener('error', () => {
      if (this.row) toast('Cannot play this recording', a.error?.message || 'The browser could not decode the audio.', 'error');
    });
    for (const ch of ['l', 'r', 'm']) $(`v-${ch}`).addEventListener('input', () => this.#applyVolumes());
    for (const button of document.querySelectorAll('.mute')) {
      button.addEventListener('click', () => {
        const ch = button.dataset.ch;
        this.muted[ch] = !this.muted[ch];
        button.classList.toggle('muted', this.muted[ch]);
        this.#applyVolumes();
      });
    }
    $('v-max').addEventListener('click', () => {
      $('v-l').value = '100';
      $('v-r').value = '100';
      $('v-m').value = '100';
      this.#applyVolumes();
    });
    // Loop memories
    for (const button of document.querySelectorAll('.mem')) button.addEventListener('click', () => this.selectMemory(Number(button.dataset.mem)));
    $('mem-from').addEventListener('click', () => this.#setMemory('from'));
    $('mem-to').addEventListener('click', () => this.#setMemory('to'));
    $('mem-clear').addEventListener('click', () => {
      this.memories[this.activeMemory] = null;
      this.#saveMemories();
    });
    $('mem-play').addEventListener('click', () => this.#setLoopMode(this.loopMode === 'one' ? 'off' : 'one'));
    $('mem-all').addEventListener('click', () => this.#setLoopMode(this.loopMode === 'all' ? 'off' : 'all'));
    $('pl-clear').addEventListener('click', () => {
      this.playlist = this.row ? [this.row] : [];
      this.current = this.row ? 0 : -1;
      this.#renderPlaylist();
    });
  }

  /** The Web Audio graph, made on the first play (browsers allow audio only after a user gesture). */
  /**
   * Build the audio graph ahead of the first play (its first construction takes a browser a few hundred ms):
   * right after log-in, so a remote TRAC is obeyed at once.
   */
  prepare() {
    this.#ensureGraph();
  }

  #ensureGraph() {
    if (this.graph) {
      if (this.graph.context.state === 'suspended') this.graph.context.resume().catch(() => undefined);
      return;
    }
    const AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!AudioContextClass) return;
    const context = new AudioContextClass();
    const source = context.createMediaElementSource(this.audio);
    // Mono recordings are spread to both sides before the split, so both meters move.
    const upmix = context.createGain();
    upmix.channelCount = 2;
    upmix.channelCountMode = 'explicit';
    upmix.channelInterpretation = 'speakers';
    const splitter = context.createChannelSplitter(2);
    const gainL = context.createGain();
    const gainR = context.createGain();
    const analyserL = context.createAnalyser();
    const analyserR = context.createAnalyser();
    analyserL.fftSize = 1024;
    analyserR.fftSize = 1024;
    const merger = context.createChannelMerger(2);
    const master = context.createGain();
    source.connect(upmix).connect(splitter);
    splitter.connect(gainL, 0);
    splitter.connect(gainR, 1);
    gainL.connect(analyserL);
    gainR.connect(analyserR);
    gainL.connect(merger, 0, 0);
    gainR.connect(merger, 0, 1);
    merger.connect(master).connect(context.destination);
    this.graph = { context, gainL, gainR, master, analyserL, analyserR, buffer: new Float32Array(1024) };
    this.#applyVolumes();
  }

  #applyVolumes() {
    if (!this.graph) return;
    const value = (ch, max) => (this.muted[ch] ? 0 : Number($(`v-${ch}`).value) / max);
    this.graph.gainL.gain.value = value('l', 100);
    this.graph.gainR.gain.value = value('r', 100);
    this.graph.master.gain.value = value('m', 100);
  }

  // ------------------------------------------------------------------ loading

  /** Play these rows as the playlist (at most 99), starting with the first. */
  playList(rows, { autoplay = true } = {}) {
    if (rows.length === 0) return;
    if (rows.length > PLAYLIST_LIMIT) toast('Playlist limited', `Only the first ${PLAYLIST_LIMIT} of ${rows.length} recordings were added.`);
    this.playlist = rows.slice(0, PLAYLIST_LIMIT);
    this.current = 0;
    this.load(this.playlist[0], { autoplay, keepPlaylist: true });
  }

  load(row, { autoplay = true, keepPlaylist = false, remote = false } = {}) {
    if (!keepPlaylist) {
      this.playlist = [row];
      this.current = 0;
    }
    this.row = row;
    this.details = null;
    $('rc-badge').hidden = !remote;
    this.#ensureGraph();
    // The server refuses the audio of a recording that failed verification; investigators ask for it explicitly.
    const tampered = row.integrity === 'tampered';
    const investigate = tampered && Boolean(this.hooks.mayInvestigate?.());
    // null: the site asks why a call is heard and no reason was given.
    const reason = this.hooks.reasonFor ? this.hooks.reasonFor(row) : '';
    const params = new URLSearchParams();
    if (investigate) params.set('investigate', '1');
    if (reason) params.set('reason', reason);
    this.query = params.size > 0 ? `?${params}` : '';
    if (reason === null) {
      toast('Not played', 'This site asks why a call is heard: give a reason to listen.', 'error');
      this.audio.removeAttribute('src');
      autoplay = false;
    } else if (tampered && !investigate) {
      toast('Not played', 'This recording failed verification: its audio is not the original call.', 'error');
      this.audio.removeAttribute('src');
    } else {
      if (investigate) toast('Failed verification', 'Playing for investigation; this is written to the audit log.', 'error');
      this.audio.src = recordingPath(row.name, 'audio') + this.query;
    }
    this.audio.load();
    this.waveform.set(null);
    this.#loadMemories();
    this.#renderPlaylist();
    $('deck-empty').hidden = true;
    $('deck-loaded').hidden = false;
    $('player').classList.remove('is-empty');
    $('tabs').hidden = false;
    api(recordingPath(row.name, 'waveform') + this.query)
      .then((data) => this.row === row && this.waveform.set(data))
      .catch(() => this.row === row && this.waveform.set({ buckets: 0 }));
    this.hooks.onLoad(row);
    if (autoplay) this.play();
  }

  /** The recording was renamed (TAN change): keep playing, point at the new name. */
  renamed(previous, row) {
    this.playlist = this.playlist.map((r) => (r.name === previous ? row : r));
    if (this.row?.name !== previous) return;
    const time = this.audio.currentTime;
    const playing = !this.audio.paused;
    this.row = row;
    this.audio.src = recordingPath(row.name, 'audio') + (this.query ?? '');
    this.audio.currentTime = time;
    if (playing) this.play();
    this.#renderPlaylist();
  }

  play() {
    if (!this.row) return;
    this.#ensureGraph();
    this.audio.play().catch((error) => {
      if (error.name === 'NotAllowedError') toast('Press play to start', 'The browser needs a click before it plays audio.');
    });
  }

  pause() {
    this.audio.pause();
  }

  toggle() {
    if (!this.row) return;
    if (this.audio.paused) this.play();
    else this.pause();
  }

  stop() {
    this.audio.pause();
    if (this.row) this.audio.currentTime = 0;
  }

  eject() {
    this.audio.pause();
    this.audio.removeAttribute('src');
    this.audio.load();
    this.row = null;
    this.playlist = [];
    this.current = -1;
    $('deck-empty').hidden = false;
    $('deck-loaded').hidden = true;
    $('player').classList.add('is-empty');
    $('tabs').hidden = true;
    $('rc-badge').hidden = true;
    this.#renderPlaylist();
    this.hooks.onEject();
  }

  skip(seconds) {
    if (!this.row) return;
    const duration = this.#duration();
    this.audio.currentTime = Math.min(Math.max(0, this.audio.currentTime + seconds), duration || Infinity);
  }

  seekFraction(fraction) {
    const duration = this.#duration();
    if (this.row && duration > 0) this.audio.currentTime = fraction * duration;
  }

  /** Next/previous: in the playlist when it has several tracks, else in the result list. */
  step(direction) {
    if (!this.row) return;
    if (this.playlist.length > 1) {
      const next = this.current + direction;
      if (next < 0 || next >= this.playlist.length) return;
      this.current = next;
      this.load(this.playlist[next], { keepPlaylist: true });
      return;
    }
    const neighbour = this.hooks.neighbour(this.row, direction);
    if (neighbour) this.load(neighbour);
  }

  #ended() {
    if (this.repeat) {
      this.audio.currentTime = 0;
      this.play();
    } else if (this.playlist.length > 1 && this.current < this.playlist.length - 1) {
      this.current++;
      this.load(this.playlist[this.current], { keepPlaylist: true });
    }
  }

  #duration() {
    const d = this.audio.duration;
    if (Number.isFinite(d) && d > 0) return d;
    return this.row?.durationMs ? this.row.durationMs / 1000 : 0;
  }

  #playState() {
    $('b-play').textContent = this.audio.paused ? '▶' : '❚❚';
    $('b-play').title = this.audio.paused ? 'Play (Space)' : 'Pause (Space)';
  }

  // ------------------------------------------------------------------ loop memories

  #memoryKey() {
    return `recorder.loops.${this.row?.callId}`;
  }

  #loadMemories() {
    try {
      const saved = JSON.parse(localStorage.getItem(this.#memoryKey()) || '[]');
      this.memories = Array.from({ length: MEMORIES }, (_, i) => saved[i] || null);
    } catch {
      this.memories = Array(MEMORIES).fill(null);
    }
    this.#setLoopMode('off');
    this.#renderMemories();
  }

  #saveMemories() {
    if (!this.row) return;
    localStorage.setItem(this.#memoryKey(), JSON.stringify(this.memories));
    this.#renderMemories();
  }

  selectMemory(index) {
    this.activeMemory = index;
    this.#renderMemories();
  }

  #setMemory(edge) {
    if (!this.row) return;
    const t = Math.round(this.audio.currentTime * 10) / 10;
    const memory = { ...(this.memories[this.activeMemory] || {}) };
    memory[edge] = t;
    if (memory.from !== undefined && memory.to !== undefined && memory.to <= memory.from) {
      if (edge === 'from') delete memory.to;
      else delete memory.from;
    }
    this.memories[this.activeMemory] = memory;
    this.#saveMemories();
  }

  #setLoopMode(mode) {
    this.loopMode = mode;
    $('mem-play').setAttribute('aria-pressed', String(mode === 'one'));
    $('mem-all').setAttribute('aria-pressed', String(mode === 'all'));
    if (mode === 'one') {
      const m = this.memories[this.activeMemory];
      if (m?.from !== undefined) this.audio.currentTime = m.from;
    }
  }

  #complete(m) {
    return m && m.from !== undefined && m.to !== undefined && m.to > m.from;
  }

  /** Keep the position inside the active loop; in "all" mode go on to the next memory at the end of one. */
  #enforceLoop() {
    if (this.loopMode === 'off' || this.audio.paused) return;
    const t = this.audio.currentTime;
    if (this.loopMode === 'one') {
      const m = this.memories[this.activeMemory];
      if (this.#complete(m) && (t >= m.to || t < m.from - 0.25)) this.audio.currentTime = m.from;
      return;
    }
    const set = this.memories.map((m, i) => (this.#complete(m) ? i : -1)).filter((i) => i >= 0);
    if (set.length === 0) return;
    if (!set.includes(this.activeMemory)) {
      this.activeMemory = set[0];
      this.audio.currentTime = this.memories[set[0]].from;
      this.#renderMemories();
      return;
    }
    const m = this.memories[this.activeMemory];
    if (t >= m.to) {
      const next = set[(set.indexOf(this.activeMemory) + 1) % set.length];
      this.activeMemory = next;
      this.audio.currentTime = this.memories[next].from;
      this.#renderMemories();
    }
  }

  #renderMemories() {
    for (const button of document.querySelectorAll('.mem')) {
      const i = Number(button.dataset.mem);
      button.classList.toggle('active', i === this.activeMemory);
      button.classList.toggle('set', Boolean(this.memories[i]));
    }
    const list = $('mem-list');
    list.replaceChildren(
      ...this.memories.map((m, i) =>
        h('li', {}, h('b', {}, `M${i + 1}`), m ? `${m.from !== undefined ? clock(m.from) : '—'}  →  ${m.to !== undefined ? clock(m.to) : '—'}` : h('span', { class: 'hint' }, 'empty')),
      ),
    );
  }

  // ------------------------------------------------------------------ playlist

  #renderPlaylist() {
    const list = $('playlist');
    list.replaceChildren(
      ...this.playlist.map((row, i) =>
        h(
          'li',
          { class: i === this.current ? 'current' : '', onclick: () => ((this.current = i), this.load(row, { keepPlaylist: true })) },
          h('span', { class: 'pl-n' }, String(i + 1)),
          h('span', { class: 'grow' }, `${row.startLocal}  ${row.internal} ${row.direction === 'in' ? '←' : '→'} ${row.external}`),
        ),
      ),
    );
    $('pl-size').textContent = this.playlist.length > 0 ? `(${this.playlist.length})` : '';
    const counter = $('pl-counter');
    counter.hidden = this.playlist.length < 2;
    counter.textContent = `Track ${this.current + 1} / ${this.playlist.length}`;
    this.hooks.onPlaylist?.();
  }

  // ------------------------------------------------------------------ animation

  #tick(now) {
    requestAnimationFrame((t) => this.#tick(t));
    if (!this.row) return;
    this.#enforceLoop();
    const t = this.audio.currentTime || 0;
    const duration = this.#duration();
    $('t-up').textContent = clock(t);
    $('t-down').textContent = `-${clock(Math.max(0, duration - t))}`;
    const startIso = this.details?.sidecar?.call?.answered || this.details?.sidecar?.call?.start;
    $('t-hist').textContent = startIso ? new Date(new Date(startIso).getTime() + t * 1000).toLocaleTimeString() : '';
    this.waveform.update(duration > 0 ? t / duration : 0, this.memories, this.loopMode === 'off' ? -1 : this.activeMemory);
    if (this.graph) {
      for (const [ch, analyser] of [
        ['l', this.graph.analyserL],
        ['r', this.graph.analyserR],
      ]) {
        const buffer = this.graph.buffer;
        analyser.getFloatTimeDomainData(buffer);
        let peak = 0;
        let sum = 0;
        for (let i = 0; i < buffer.length; i++) {
          const v = Math.abs(buffer[i]);
          if (v > peak) peak = v;
          sum += v * v;
        }
        this.meters[ch].draw(Math.sqrt(sum / buffer.length), peak, now);
      }
    }
  }
}
