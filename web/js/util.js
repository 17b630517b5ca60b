// DOM and formatting helpers. Text always goes in as text (never as HTML).
export function $(id) {
  return document.getElementById(id);
}

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** 83.45 → "01:23.4" (tenths, as the reference's counters). */
export function clock(seconds, tenths = true) {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const whole = Math.floor(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const head = h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
  return tenths ? `${head}.${Math.floor((seconds - whole) * 10)}` : head;
}

export function duration(ms) {
  if (ms === undefined || ms === null) return '—';
  return clock(ms / 1000, false);
}

export function dateTime(iso) {
  const d = new Date(iso);
  return { date: d.toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' }), time: d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }) };
}

export function longDate(iso) {
  return new Date(iso).toLocaleString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

const INTEGRITY = {
  intact: ['Original', 'The audio matches its signature'],
  tampered: ['Manipulated', 'The audio does not match its signature or cannot be decrypted intact'],
  'unknown-key': ['Unknown key', 'Made with a key this server does not have'],
  unchecked: ['Unchecked', 'Not verified yet (or not signed)'],
};

export function integrityBadge(state) {
  const [label, title] = INTEGRITY[state] || [state, ''];
  // The label in its own span: narrow windows show the coloured dot only (the title still says it).
  return h('span', { class: `badge badge-${state}`, title: title || label }, h('span', { class: 'badge-label' }, label));
}

export function toast(title, text = '', kind = '') {
  const box = h('div', { class: `toast ${kind}` }, h('b', {}, title), text);
  $('toasts').append(box);
  setTimeout(() => box.remove(), kind === 'error' ? 6000 : 4000);
}
