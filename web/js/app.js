// The web player: login, search, result list, details, notes, TAN, favourites, export, live updates.
import { ApiError, api, recordingPath, setCsrfToken } from './api.js';
import { Player, PLAYLIST_LIMIT } from './player.js';
import { $, dateTime, duration, h, integrityBadge, longDate, toast } from './util.js';
import { enableCompliance } from './compliance.js';

const state = {
  session: null,
  view: 'search',
  rows: [],
  total: 0,
  offset: 0,
  order: 'newest',
  sort: null, // client-side sort of the page: { key, dir }
  selected: new Set(),
  anchor: -1,
  cursor: -1,
  events: null,
  searchTimer: 0,
  searchSeq: 0,
};

let player;

// ------------------------------------------------------------------------------------------------ session

async function start() {
  try {
    const session = await api('/api/session');
    enter(session);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) showLogin();
    else showLogin(error.message);
  }
}

function showLogin(message) {
  $('app').hidden = true;
  $('login-view').hidden = false;
  $('login-error').hidden = !message;
  $('login-error').textContent = message || '';
  $('login-player').value = playerSettings().name;
  $('login-user').focus();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('login-submit').disabled = true;
  try {
    const session = await api('/api/login', { method: 'POST', body: { user: $('login-user').value, password: $('login-password').value } });
    $('login-password').value = '';
    savePlayerSettings({ name: $('login-player').value.trim() });
    enter(session);
  } catch (error) {
    $('login-error').hidden = false;
    $('login-error').textContent = error.status === 429 ? 'Too many failed attempts. Wait a few minutes and try again.' : error.status === 401 ? 'Wrong user name or password.' : error.message;
  } finally {
    $('login-submit').disabled = false;
  }
});

$('logout').addEventListener('click', async () => {
  try {
    await savePreferencesNow();
    await api('/api/logout', { method: 'POST' });
  } finally {
    location.reload();
  }
});

async function enter(session) {
  state.session = session;
  setCsrfToken(session.csrfToken);
  $('login-view').hidden = true;
  $('app').hidden = false;
  $('user-name').textContent = session.user;
  $('user-role').textContent = session.role;
  if (session.role === 'agent') {
    $('user-box').title = `Sees the calls of ${session.numbers.join(', ') || 'no numbers'}`;
    $('f-internal').placeholder = session.numbers.length > 1 ? 'one of your numbers, or *' : session.numbers[0] || '';
  }
  if (!player) {
    player = new Player({
      onLoad: (row) => loadDetails(row),
      mayInvestigate: () => state.session.permissions.includes('investigate'),
      // Where the site asks why a call is heard: asked once per recording loaded; no reason, no playing.
      reasonFor: (row) => {
        if (!state.session.reasonOnPlay) return '';
        const reason = (window.prompt(`Why are you listening to the call of ${row.internal} with ${row.external}?`) ?? '').trim();
        return reason === '' ? null : reason.slice(0, 200);
      },
      onEject: () => renderTable(),
      neighbour: (row, step) => {
        const rows = visibleRows();
        const i = rows.findIndex((r) => r.name === row.name);
        return i >= 0 ? rows[i + step] : undefined;
      },
      onPlaylist: () => renderTable(),
    });
  }  // The audio graph is built now, while the log-in click still counts as the user's gesture, not on the first play.
  setTimeout(() => player.prepare(), 0);
  if (session.role === 'supervisor') watchServiceStatus();
  if (session.role === 'supervisor' || session.role === 'compliance') enableCompliance();

  await applyPreferences();
  await loadMonths();
  connectEvents();
  search();
}

// ------------------------------------------------------------------------------------------------ filters

async function loadMonths() {
  const { months } = await api('/api/months');
  const select = $('f-month');
  const current = select.value;
  select.replaceChildren(
    h('option', { value: '' }, 'All months'),
    ...months
      .slice()
      .reverse()
      .map(({ month, count }) => {
        const [y, m] = month.split('_');
        const label = new Date(Number(y), Number(m) - 1, 1).toLocaleDateString(undefined, { year: 'numeric', month: 'long' });
        return h('option', { value: month }, count !== undefined ? `${label}  (${count})` : label);
      }),
  );
  select.value = current;
  // The format filter matters only where a month holds several formats (as the reference shows it).
  const formats = new Set(months.flatMap((m) => m.formats));
  $('f-format').closest('.field').style.visibility = formats.size > 1 ? 'visible' : 'hidden';
  // A remembered format filter is no filter where it cannot be seen (or changed).
  if (formats.size <= 1) $('f-format').value = '';
}

(function fillDays() {
  const select = $('f-day');
  for (let d = 1; d <= 31; d++) select.append(h('option', { value: String(d) }, String(d)));
})();

function filterParams() {
  const form = $('filter-form');
  const params = new URLSearchParams();
  const value = (id) => $(id).value.trim();
  if (value('f-month')) params.set('month', value('f-month'));
  if (value('f-day')) params.set('day', value('f-day'));
  if (value('f-internal')) params.set('internal', value('f-internal'));
  if (value('f-external')) params.set('external', value('f-external'));
  const direction = form.querySelector('input[name="direction"]:checked')?.value;
  if (direction) params.set('direction', direction);
  const tan = value('f-tan');
  if (tan.length === 6) params.set('tan', tan);
  if (value('f-format')) params.set('format', value('f-format'));
  for (const key of ['from', 'to']) {
    const v = value(`f-${key}`);
    if (v) params.set(key, new Date(v).toISOString());
  }
  return params;
}

$('filter-form').addEventListener('submit', (event) => {
  event.preventDefault();
  setView('search');
  state.offset = 0;
  search();
});

$('filter-form').addEventListener('input', (event) => {
  if (!$('f-online').checked || event.target.id === 'f-online') return;
  // A half-typed TAN is no filter yet: search when it has 6 digits or is cleared.
  if (event.target.id === 'f-tan' && event.target.value.length > 0 && event.target.value.length < 6) return;
  clearTimeout(state.searchTimer);
  state.searchTimer = setTimeout(() => {
    setView('search');
    state.offset = 0;
    search();
  }, 250);
});

$('f-reset').addEventListener('click', () => {
  $('filter-form').reset();
  setView('search');
  state.offset = 0;
  search();
});

// ------------------------------------------------------------------------------------------------ views & search

for (const button of document.querySelectorAll('.view')) {
  button.addEventListener('click', () => {
    setView(button.dataset.view);
    state.offset = 0;
    search();
  });
}

function setView(view) {
  state.view = view;
  for (const button of document.querySelectorAll('.view')) button.classList.toggle('active', button.dataset.view === view);
  const titles = { search: 'Recordings', live: 'Live — newest first', 'last-played': 'Last played', global: 'Global favourites', mine: 'My favourites' };
  $('results-title').textContent = titles[view];
  $('filters-panel').classList.toggle('dimmed', view !== 'search');
}

function pageSize() {
  return Number($('page-size').value);
}

async function search({ fresh } = {}) {
  const seq = ++state.searchSeq;
  let path;
  if (state.view === 'last-played') path = '/api/last-played';
  else {
    const params = state.view === 'search' ? filterParams() : new URLSearchParams();
    if (state.view === 'global' || state.view === 'mine') params.set('favourite', state.view);
    params.set('order', state.view === 'live' ? 'newest' : state.order);
    params.set('limit', String(pageSize()));
    params.set('offset', String(state.offset));
    path = `/api/recordings?${params}`;
  }
  try {
    const result = await api(path);
    if (seq !== state.searchSeq) return;
    $('filter-error').hidden = true;
    state.rows = result.rows;
    state.total = result.total;
    state.totalCapped = result.totalCapped === true;
    state.selected = new Set([...state.selected].filter((name) => result.rows.some((r) => r.name === name)));
    renderTable(fresh);
  } catch (error) {
    if (seq !== state.searchSeq) return;
    if (error.status === 401) return showLogin('Your session ended. Sign in again.');
    $('filter-error').hidden = false;
    $('filter-error').textContent = error.message;
  }
}

function visibleRows() {
  const rows = state.rows.slice();
  if (state.sort) {
    const { key, dir } = state.sort;
    rows.sort((a, b) => {
      const x = a[key] ?? '';
      const y = b[key] ?? '';
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
      return dir === 'asc' ? c : -c;
    });
  }
  return rows;
}

for (const th of document.querySelectorAll('th.sortable')) {
  th.addEventListener('click', () => {
    const key = th.dataset.sort;
    if (key === 'start' && state.view !== 'last-played') {
      // Time order is the server's (it pages through everything in that order).
      state.sort = null;
      state.order = state.order === 'newest' ? 'oldest' : 'newest';
      state.offset = 0;
      search();
    } else {
      state.sort = state.sort?.key === key && state.sort.dir === 'asc' ? { key, dir: 'desc' } : { key, dir: 'asc' };
      renderTable();
    }
  });
}

function renderSortMarks() {
  for (const th of document.querySelectorAll('th.sortable')) {
    th.classList.remove('sorted-asc', 'sorted-desc');
    const key = th.dataset.sort;
    if (state.sort?.key === key) th.classList.add(`sorted-${state.sort.dir}`);
    else if (!state.sort && key === 'start' && state.view !== 'last-played') th.classList.add(state.order === 'newest' ? 'sorted-desc' : 'sorted-asc');
  }
}

function renderTable(fresh) {
  const rows = visibleRows();
  const body = $('results-body');
  body.replaceChildren(...rows.map((row, i) => rowElement(row, i, fresh === row.name)));
  $('results-empty').hidden = rows.length > 0;
  const shown = state.view === 'last-played' ? rows.length : state.total;
  $('result-count').textContent = `${shown.toLocaleString()} recording${shown === 1 ? '' : 's'}`;
  const from = rows.length > 0 ? state.offset + 1 : 0;
  $('page-info').textContent = state.view === 'last-played' ? `${rows.length} played` : `${from.toLocaleString()}–${(state.offset + rows.length).toLocaleString()} of ${state.total.toLocaleString()}${state.totalCapped ? '+' : ''}`;
  const paged = state.view !== 'last-played';
  $('page-first').disabled = $('page-prev').disabled = !paged || state.offset === 0;
  $('page-next').disabled = !paged || (state.offset + rows.length >= state.total && !state.totalCapped);
  $('page-last').disabled = !paged || state.totalCapped || state.offset + rows.length >= state.total;
  $('play-selected').disabled = state.selected.size === 0;
  $('export-selected').disabled = state.selected.size === 0 || !state.session.permissions.includes('export');
  renderSortMarks();
}

function rowElement(row, index, fresh) {
  const { date, time } = dateTime(row.start);
  const fav = row.favouriteGlobal || row.favouriteMine;
  const tr = h(
    'tr',
    {
      class: [state.selected.has(row.name) ? 'selected' : '', player?.row?.name === row.name ? 'playing' : '', fresh ? 'fresh' : ''].join(' ').trim(),
      dataset: { name: row.name },
      title: row.name,
    },
    h('td', { class: 'c-fav' }, h('span', { class: fav ? '' : 'off', title: row.favouriteGlobal ? 'Global favourite' : row.favouriteMine ? 'My favourite' : '' }, row.favouriteGlobal ? '★' : row.favouriteMine ? '♥' : '☆')),
    h('td', { class: 'c-time' }, h('span', { class: 'time-clock' }, time), h('span', { class: 'time-date' }, date)),
    h('td', { class: 'c-int' }, h('span', { class: 'pnum' }, row.internal), row.internalName ? h('span', { class: 'pname' }, row.internalName) : null),
    h('td', { class: 'c-dir' }, h('span', { class: `dir dir-${row.direction}`, title: row.direction === 'in' ? 'Incoming' : 'Outgoing' }, row.direction === 'in' ? '↙' : '↗')),
    h('td', { class: 'c-ext' }, h('span', { class: 'pnum' }, row.external || '—'), row.externalName ? h('span', { class: 'pname' }, row.externalName) : null),
    h('td', { class: 'c-ring num' }, `${row.secondsToAnswer} s`),
    h('td', { class: 'c-dur num' }, duration(row.durationMs)),
    h('td', { class: 'c-tan' }, row.tan ? h('span', { class: row.tan === '000000' ? 'tan tan-none' : 'tan' }, row.tan) : h('span', { class: 'tan-none' }, '—')),
    h('td', { class: 'c-fmt' }, h('span', { class: 'fmt' }, row.format), row.encrypted ? lockIcon() : null),
    h('td', { class: 'c-int2' }, integrityBadge(row.integrity)),
    h('td', { class: 'c-note' }, row.hasNotes ? h('span', { title: 'Has notes' }, '✎') : null),
  );
  tr.addEventListener('click', (event) => select(row, index, event));
  tr.addEventListener('dblclick', () => playRows([row]));
  return tr;
}

const SVG = 'http://www.w3.org/2000/svg';
function lockIcon() {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'lock-ic');
  const title = document.createElementNS(SVG, 'title');
  title.textContent = 'Encrypted';
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', 'M6 10V7a6 6 0 0 1 12 0v3h1v12H5V10zm2 0h8V7a4 4 0 0 0-8 0z');
  svg.append(title, path);
  return svg;
}

function select(row, index, event) {
  const rows = visibleRows();
  if (event.shiftKey && state.anchor >= 0) {
    const [a, b] = [Math.min(state.anchor, index), Math.max(state.anchor, index)];
    if (!event.ctrlKey && !event.metaKey) state.selected.clear();
    for (let i = a; i <= b; i++) state.selected.add(rows[i].name);
  } else if (event.ctrlKey || event.metaKey) {
    if (state.selected.has(row.name)) state.selected.delete(row.name);
    else state.selected.add(row.name);
    state.anchor = index;
  } else {
    state.selected = new Set([row.name]);
    state.anchor = index;
  }
  state.cursor = index;
  renderTable();
}

function selectedRows() {
  return visibleRows().filter((r) => state.selected.has(r.name));
}

function playRows(rows) {
  if (rows.length === 1) player.load(rows[0]);
  else player.playList(rows);
  renderTable();
}

$('play-selected').addEventListener('click', () => playRows(selectedRows()));
/**
 * Where the site asks for four-eyes on `action`: the id of this user's approved, unused approval covering `names`;
 * otherwise asks for one (with a reason) and returns null — the user tries again once it is approved. '' where no
 * approval is needed. reasonGiven: the reason already asked for (an erasure's), used for the request.
 */
async function approvalFor(action, names, reasonGiven = '') {
  if (!(state.session.fourEyes ?? []).includes(action)) return '';
  if (names.length === 0) return null;
  const { approvals } = await api('/api/approvals');
  const mine = approvals.filter((a) => a.action === action && a.requestedBy === state.session.user && !a.usedAt && names.every((n) => a.recordings.includes(n)));
  const ready = mine.find((a) => a.decision === 'approved');
  if (ready) return ready.id;
  const waiting = mine.find((a) => a.decision === undefined);
  if (waiting) {
    toast('Waiting for approval', `${waiting.id} has not been decided yet.`);
    return null;
  }
  const reason = reasonGiven || (window.prompt(`${action === 'export' ? 'Export' : 'Erasure'} needs a second person's approval here. Why is it needed?`) ?? '').trim();
  if (!reason) return null;
  try {
    const asked = await api('/api/approvals', { method: 'POST', body: { action, recordings: names, reason } });
    toast('Approval asked', `${asked.id}: a supervisor or compliance officer decides; try again once it is approved.`);
  } catch (error) {
    toast('Not asked', error.message, 'error');
  }
  return null;
}

$('export-selected').addEventListener('click', async () => {
  const rows = selectedRows().slice(0, PLAYLIST_LIMIT);
  const params = new URLSearchParams();
  for (const row of rows) params.append('name', row.name);
  const approval = await approvalFor('export', rows.map((row) => row.name));
  if (approval === null) return;
  if (approval) params.set('approval', approval);
  download(`/api/export?${params}`);
});

$('a-export').addEventListener('click', async (event) => {
  const href = $('a-export').getAttribute('href');
  if (!player.row || href === '#' || !(state.session.fourEyes ?? []).includes('export')) return;
  event.preventDefault();
  const approval = await approvalFor('export', [player.row.name]);
  if (approval) download(`${href}${href.includes('?') ? '&' : '?'}approval=${encodeURIComponent(approval)}`);
});

function download(href) {
  const link = h('a', { href, download: '' });
  document.body.append(link);
  link.click();
  link.remove();
}

$('page-size').addEventListener('change', () => {
  state.offset = 0;
  search();
});
$('page-first').addEventListener('click', () => ((state.offset = 0), search()));
$('page-prev').addEventListener('click', () => ((state.offset = Math.max(0, state.offset - pageSize())), search()));
$('page-next').addEventListener('click', () => ((state.offset += pageSize()), search()));
$('page-last').addEventListener('click', () => ((state.offset = Math.max(0, Math.floor((state.total - 1) / pageSize()) * pageSize())), search()));

// ------------------------------------------------------------------------------------------------ details

async function loadDetails(row) {
  renderNowPlaying(row);
  renderTable();
  try {
    const details = await api(recordingPath(row.name));
    if (player.row?.name !== row.name) return;
    player.details = details;
    renderNowPlaying(details.recording, details);
    renderDetails(details);
    renderNotes(details);
  } catch (error) {
    toast('Cannot load the details', error.message, 'error');
  }
}

function renderNowPlaying(row, details) {
  $('np-ext').textContent = row.external || '—';
  $('np-int').textContent = row.internal;
  $('np-ext-name').textContent = row.externalName || '';
  $('np-int-name').textContent = row.internalName || '';
  $('np-dir').textContent = row.direction === 'in' ? '⟶' : '⟵';
  $('np-dir').title = row.direction === 'in' ? `Incoming: ${row.external} called ${row.internal}` : `Outgoing: ${row.internal} called ${row.external}`;
  $('np-date').textContent = longDate(row.start);
  const badges = [h('span', { class: 'badge badge-plain' }, row.format.toUpperCase())];
  if (row.encrypted) badges.push(h('span', { class: 'badge badge-plain', title: 'The audio is stored encrypted' }, lockIcon(), 'Encrypted'));
  if (row.tan && row.tan !== '000000') badges.push(h('span', { class: 'badge badge-plain' }, `TAN ${row.tan}`));
  badges.push(integrityBadge(row.integrity));
  $('np-badges').replaceChildren(...badges);
  $('a-fav-global').setAttribute('aria-pressed', String(Boolean(row.favouriteGlobal)));
  $('a-fav-mine').setAttribute('aria-pressed', String(Boolean(row.favouriteMine)));
  // A recording that failed verification is served only to investigators, who ask for it explicitly (logged).
  const tampered = row.integrity === 'tampered';
  const investigator = state.session.permissions.includes('investigate');
  const mayExport = state.session.permissions.includes('export') && (!tampered || investigator);
  $('a-export').href = mayExport ? `${recordingPath(row.name, 'export')}${tampered ? '?investigate=1' : ''}` : '#';
  $('a-export').setAttribute('aria-disabled', String(!mayExport));
  $('a-export').title = mayExport ? (tampered ? 'Download for investigation: the audio failed verification (logged)' : 'Download the decrypted audio') : tampered ? 'The audio failed verification: not exported' : 'This account may not export';
  $('a-delete').hidden = !(details?.may?.delete ?? state.session.permissions.includes('delete'));
  $('a-erase').hidden = !(details?.may?.erase ?? false);
}

function kv(entries) {
  return h('dl', { class: 'kv' }, ...entries.filter(([, v]) => v !== undefined && v !== null && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function party(number, name) {
  return name ? `${number} · ${name}` : number;
}

function renderDetails(details) {
  const row = details.recording;
  const call = details.sidecar?.call;
  const audio = details.sidecar?.audio;
  const secs = (a, b) => (a && b ? `${Math.round((new Date(b) - new Date(a)) / 1000)} s` : undefined);
  const parts = [
    kv([
      ['Internal', party(row.internal, row.internalName)],
      ['External', party(row.external || '—', row.externalName)],
      ['Direction', row.direction === 'in' ? 'Incoming' : 'Outgoing'],
      ['Start', call ? longDate(call.start) : longDate(row.start)],
      ['Answered', call?.answered ? new Date(call.answered).toLocaleTimeString() : undefined],
      ['End', call?.end ? new Date(call.end).toLocaleTimeString() : undefined],
      ['Time to answer', `${row.secondsToAnswer} s`],
      ['Call length', secs(call?.answered || call?.start, call?.end)],
      ['Recording', duration(row.durationMs)],
      ['Agent rule', call?.agentRule],
      ['TAN', row.tan],
    ]),
    h('h4', { class: 'section-title' }, 'File'),
    kv([
      ['Format', `${row.format.toUpperCase()}${audio?.mix ? ` · ${audio.mix}` : ''}${audio?.codec ? ` · ${audio.codec}` : ''}`],
      ['Size', `${(row.size / 1024).toLocaleString(undefined, { maximumFractionDigits: 0 })} kB`],
      ['Encrypted', row.encrypted ? 'yes' : 'no'],
      ['Signed', details.sidecar ? (details.sidecar.signed ? 'yes' : 'no') : undefined],
      ['Record ID', h('span', { class: 'mono' }, row.callId)],
      ['File name', h('span', { class: 'mono' }, row.name)],
    ]),
  ];
  if (details.sidecarError) parts.push(h('p', { class: 'form-error' }, details.sidecarError));
  if (details.cdr.length > 0) {
    parts.push(h('h4', { class: 'section-title' }, `Call detail records (${details.cdr.length})`));
    for (const cdr of details.cdr) {
      if (cdr.error) {
        parts.push(h('p', { class: 'form-error' }, cdr.error));
        continue;
      }
      const dirs = { from: 'placed the call', to: 'was called', cf: 'forwarded', ct: 'transferred' };
      parts.push(
        h(
          'div',
          { class: 'cdr' },
          h('div', { class: 'cdr-head' }, h('span', {}, h('b', {}, cdr.cn || cdr.h323 || cdr.e164), cdr.e164 ? ` (${cdr.e164})` : ''), h('span', {}, dirs[cdr.dir] || cdr.dir)),
          h(
            'ol',
            {},
            ...cdr.events.map((e) => {
              const who = e.to ? `→ ${e.to.e164 || e.to.h323 || e.to.dn || ''}` : e.party ? `${e.party.e164 || e.party.h323 || e.party.dn || ''}${e.party.external ? ' (ext)' : ''}` : '';
              const kind = e.msg.startsWith('transfer') ? 'ev-transfer' : e.msg.startsWith('cf') ? 'ev-cf' : '';
              return h('li', { class: kind }, h('span', { class: 'ev-time' }, `+${e.time}s`), h('span', { class: 'ev-msg' }, e.msg), h('span', {}, [who, e.digits ? `digits ${e.digits}` : '', e.cause !== undefined ? `cause ${e.cause}` : ''].filter(Boolean).join(' · ')));
            }),
          ),
        ),
      );
    }
  }
  $('details').replaceChildren(...parts);
}

function renderNotes(details) {
  const mayNotes = details.may.notes;
  $('notes').value = details.notes;
  $('notes').readOnly = !mayNotes;
  $('notes-save').disabled = !mayNotes;
  $('notes-locked').hidden = !details.notesLocked;
  $('notes-status').textContent = '';
  $('tan-input').value = details.recording.tan || '';
  $('tan-input').disabled = !details.may.tan;
  $('tan-save').disabled = !details.may.tan;
}

for (const tab of document.querySelectorAll('.tab')) {
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll('.tab')) t.classList.toggle('active', t === tab);
    for (const panel of document.querySelectorAll('.tab-panel')) panel.hidden = panel.dataset.panel !== tab.dataset.tab;
  });
}

$('notes-save').addEventListener('click', async () => {
  const row = player.row;
  if (!row) return;
  try {
    await api(recordingPath(row.name, 'notes'), { method: 'PUT', body: { text: $('notes').value } });
    $('notes-status').textContent = 'Saved';
    setTimeout(() => ($('notes-status').textContent = ''), 2500);
    patchRow(row.name, { hasNotes: $('notes').value.length > 0 });
  } catch (error) {
    toast('The note was not saved', error.message, 'error');
  }
});

$('tan-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const row = player.row;
  const tan = $('tan-input').value.trim();
  if (!row) return;
  if (!/^[0-9]{6}$/.test(tan)) return toast('A TAN is 6 digits', '000000 marks a recording as having no TAN.', 'error');
  try {
    const result = await api(recordingPath(row.name, 'tan'), { method: 'PUT', body: { tan } });
    replaceRow(row.name, result.recording);
    player.renamed(row.name, result.recording);
    toast('TAN saved', `${tan}`);
    loadDetails(result.recording);
  } catch (error) {
    toast('The TAN was not saved', error.message, 'error');
  }
});

async function favourite(scope) {
  const row = player.row;
  if (!row) return;
  const on = !(scope === 'global' ? row.favouriteGlobal : row.favouriteMine);
  try {
    const { recording } = await api(recordingPath(row.name, 'favourite'), { method: 'PUT', body: { scope, on } });
    player.row = recording;
    replaceRow(row.name, recording);
    renderNowPlaying(recording, player.details);
  } catch (error) {
    toast('Favourite not changed', error.message, 'error');
  }
}
$('a-fav-global').addEventListener('click', () => favourite('global'));
$('a-fav-mine').addEventListener('click', () => favourite('mine'));

$('a-verify').addEventListener('click', async () => {
  const row = player.row;
  if (!row) return;
  try {
    const { recording, integrity } = await api(recordingPath(row.name, 'verify'), { method: 'POST' });
    player.row = recording;
    replaceRow(row.name, recording);
    renderNowPlaying(recording, player.details);
    toast('Integrity checked', integrity === 'intact' ? 'The audio is the original.' : `Result: ${integrity}`, integrity === 'tampered' ? 'error' : '');
  } catch (error) {
    toast('Not verified', error.message, 'error');
  }
});

$('a-delete').addEventListener('click', async () => {
  const row = player.row;
  if (!row || !confirm(`Delete this recording for good?\n\n${row.name}`)) return;
  try {
    await api(recordingPath(row.name), { method: 'DELETE' });
    player.eject();
    search();
  } catch (error) {
    toast('Not deleted', error.message, 'error');
  }
});

// Erasure (a data subject's request): the reason is required and goes on the record; where the site asks for
// four-eyes, the approval is asked for or used first. Refusals (legal hold, mandatory retention) are shown as given.
$('a-erase').addEventListener('click', async () => {
  const row = player.row;
  if (!row) return;
  const reason = (window.prompt(`Erase this recording on a data subject's request?\n\n${row.name}\n\nThe audio, call data and notes are removed, the backup copy too, and its key is destroyed: copies made elsewhere become unreadable. This cannot be undone.\n\nThe request this erasure answers (required, recorded in the audit trail):`) ?? '').trim();
  if (!reason) return;
  const approval = await approvalFor('erase', [row.name], reason);
  if (approval === null) return;
  try {
    const result = await api(recordingPath(row.name, 'erase'), { method: 'POST', body: { reason, ...(approval ? { approval } : {}) } });
    player.eject();
    search();
    const keys = result.shreddedKeys?.length ?? 0;
    toast('Erased', keys > 0 ? `${row.name}: removed, and its data key destroyed.` : `${row.name}: removed.`);
  } catch (error) {
    toast('Not erased', error.message, 'error');
  }
});

function replaceRow(name, recording) {
  state.rows = state.rows.map((r) => (r.name === name ? recording : r));
  if (state.selected.delete(name)) state.selected.add(recording.name);
  renderTable();
}

function patchRow(name, changes) {
  state.rows = state.rows.map((r) => (r.name === name ? { ...r, ...changes } : r));
  renderTable();
}

// ------------------------------------------------------------------------------------------------ live events

// ------------------------------------------------------------------------------------------------ service status

// Supervisors see the recording service's lamps and master alarm (the reference's recorder panel), and may
// acknowledge (RESET) or silence (OFF) the alarm. Read every few seconds from the service's status file.
const STATUS_POLL_MS = 5000;

async function refreshServiceStatus() {
  let reply;
  try {
    reply = await api('/api/status');
  } catch {
    return;
  }
  const box = $('service-status');
  box.hidden = false;
  const lamps = $('ss-lamps');
  lamps.textContent = '';
  if (!reply.available || !reply.running) {
    $('ss-master').className = 'ss-master stopped';
    $('ss-master').title = reply.available ? `The recording service is not running (last status ${reply.status.at})` : reply.reason;
    $('ss-channels').textContent = 'service not running';
    $('ss-reset').hidden = true;
    $('ss-off').hidden = true;
    return;
  }
  const status = reply.status;
  for (const [lamp, colour] of Object.entries(status.lamps)) {
    const reason = status.reasons[lamp];
    lamps.append(h('span', { class: `ss-lamp ${colour}`, title: `${lamp}: ${colour}${colour === 'red' && reason ? ` — ${reason}` : ''}`, dataset: { lamp } }, lamp));
  }
  const master = status.master;
  $('ss-master').className = `ss-master ${master.state}`;
  $('ss-master').title = `Master alarm ${master.state} since ${master.since}${master.triggeredBy ? ` — ${master.triggeredBy.subject} ${master.triggeredBy.reason || ''}` : ''}`;
  $('ss-master').dataset.state = master.state;
  $('ss-channels').textContent = `${status.channelsInRecording} in recording`;
  $('ss-reset').hidden = false;
  $('ss-off').hidden = false;
  $('ss-off').textContent = master.state === 'off' ? 'ON' : 'OFF';
  $('ss-off').classList.toggle('is-off', master.state === 'off');
}

async function alarmAction(action) {
  try {
    await api('/api/alarm', { method: 'POST', body: { action } });
    toast('Master alarm', `${action.toUpperCase()} sent to the recording service.`);
    setTimeout(() => refreshServiceStatus(), 1500);
  } catch (error) {
    toast('Not sent', error.message, 'error');
  }
}

$('ss-reset').addEventListener('click', () => alarmAction('reset'));
$('ss-off').addEventListener('click', () => alarmAction($('ss-master').dataset.state === 'off' ? 'on' : 'off'));

function watchServiceStatus() {
  if (state.statusTimer) return;
  refreshServiceStatus();
  state.statusTimer = setInterval(refreshServiceStatus, STATUS_POLL_MS);
}

// ------------------------------------------------------------------------------------------------ preferences

// Volumes, standing filters, view and rows per page are kept with the account (GET/PUT /api/preferences), so
// they follow the user to any desk; the month, day, range and TAN of one search are not kept.
const PREFERENCE_SAVE_MS = 800;

function currentPreferences() {
  const form = $('filter-form');
  return {
    volume: { l: Number($('v-l').value), r: Number($('v-r').value), m: Number($('v-m').value) },
    filters: {
      internal: $('f-internal').value.trim(),
      external: $('f-external').value.trim(),
      direction: form.querySelector('input[name="direction"]:checked')?.value || '',
      format: $('f-format').value,
      online: $('f-online').checked,
    },
    view: state.view,
    pageSize: pageSize(),
  };
}

async function applyPreferences() {
  let saved;
  try {
    saved = await api('/api/preferences');
  } catch {
    return; // the defaults, then
  }
  state.applyingPreferences = true;
  try {
    const { volume = {}, filters = {} } = saved;
    for (const ch of ['l', 'r', 'm']) {
      if (typeof volume[ch] !== 'number') continue;
      $(`v-${ch}`).value = String(volume[ch]);
      $(`v-${ch}`).dispatchEvent(new Event('input'));
    }
    if (filters.internal !== undefined) $('f-internal').value = filters.internal;
    if (filters.external !== undefined) $('f-external').value = filters.external;
    if (filters.direction !== undefined) {
      const radio = $('filter-form').querySelector(`input[name="direction"][value="${filters.direction}"]`);
      if (radio) radio.checked = true;
    }
    if (filters.format !== undefined) $('f-format').value = filters.format;
    if (filters.online !== undefined) $('f-online').checked = filters.online;
    if (saved.pageSize) $('page-size').value = String(saved.pageSize);
    if (saved.view) setView(saved.view);
  } finally {
    state.applyingPreferences = false;
  }
  state.savedPreferences = JSON.stringify(currentPreferences());
}

function preferencesChanged() {
  if (state.applyingPreferences || !state.session) return;
  clearTimeout(state.preferenceTimer);
  state.preferenceTimer = setTimeout(() => savePreferencesNow(), PREFERENCE_SAVE_MS);
}

async function savePreferencesNow() {
  clearTimeout(state.preferenceTimer);
  if (!state.session) return;
  const preferences = currentPreferences();
  const text = JSON.stringify(preferences);
  if (text === state.savedPreferences) return;
  try {
    await api('/api/preferences', { method: 'PUT', body: preferences });
    state.savedPreferences = text;
  } catch {
    // Not kept this time (e.g. logged out meanwhile): the next change tries again.
  }
}

for (const id of ['v-l', 'v-r', 'v-m']) $(id).addEventListener('input', preferencesChanged);
for (const id of ['v-max', 'f-reset']) $(id).addEventListener('click', preferencesChanged);
for (const button of document.querySelectorAll('.view')) button.addEventListener('click', preferencesChanged);
$('filter-form').addEventListener('input', preferencesChanged);
$('filter-form').addEventListener('change', preferencesChanged);
$('page-size').addEventListener('change', preferencesChanged);
window.addEventListener('pagehide', () => {
  // Leaving with a change not yet sent: sent now (keepalive outlives the page).
  if (!state.session || JSON.stringify(currentPreferences()) === state.savedPreferences) return;
  fetch('/api/preferences', { method: 'PUT', keepalive: true, credentials: 'same-origin', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': state.session.csrfToken }, body: JSON.stringify(currentPreferences()) });
});

// ------------------------------------------------------------------------------------------------ this player

// The name this browser answers to for remote control, and whether it comes forward on a remote play: kept in the
// browser (one person may run players under several names); the server hears the name when the event stream opens.
const PLAYER_SETTINGS = 'recorder.player';

function playerSettings() {
  try {
    return { name: '', popup: false, ...JSON.parse(localStorage.getItem(PLAYER_SETTINGS) || '{}') };
  } catch {
    return { name: '', popup: false };
  }
}

function savePlayerSettings(changes) {
  localStorage.setItem(PLAYER_SETTINGS, JSON.stringify({ ...playerSettings(), ...changes }));
}

$('player-name').addEventListener('click', () => {
  const settings = playerSettings();
  $('ps-name').value = settings.name;
  $('ps-popup').checked = settings.popup;
  $('player-settings').showModal();
});

$('player-settings').addEventListener('close', () => {
  if ($('player-settings').returnValue !== 'save') return;
  if (!$('ps-name').checkValidity()) return toast('Not saved', 'A player name has no blanks and no "!".', 'error');
  savePlayerSettings({ name: $('ps-name').value.trim(), popup: $('ps-popup').checked });
  // The stream opens again under the new name.
  state.events?.close();
  state.events = null;
  connectEvents();
});

function connectEvents() {
  if (state.events) return;
  const name = playerSettings().name;
  const events = new EventSource(name ? `/api/events?player=${encodeURIComponent(name)}` : '/api/events');
  state.events = events;
  events.addEventListener('hello', (event) => {
    const hello = JSON.parse(event.data);
    $('player-name-text').textContent = hello.player;
    document.body.dataset.player = hello.player;
  });
  const status = (on, text) => {
    $('live-status').className = `live-status ${on ? 'on' : 'off'}`;
    $('live-text').textContent = text;
  };
  events.addEventListener('open', () => status(true, 'live'));
  events.addEventListener('error', () => status(false, 'reconnecting…'));
  events.addEventListener('recording', (event) => {
    const row = JSON.parse(event.data);
    toast('New recording', `${row.internal} ${row.direction === 'in' ? '←' : '→'} ${row.external || '—'}`);
    // Online list: the newest page is re-read at once (the reference's "actual" mode).
    if (state.offset === 0 && (state.view === 'live' || (state.view === 'search' && state.order === 'newest'))) search({ fresh: row.name });
    loadMonths().catch(() => undefined);
  });
  events.addEventListener('changed', (event) => {
    const { name, previous, recording } = JSON.parse(event.data);
    if (previous && state.rows.some((r) => r.name === previous)) replaceRow(previous, recording);
    else if (state.rows.some((r) => r.name === name)) replaceRow(name, recording);
  });
  events.addEventListener('removed', (event) => {
    const { name } = JSON.parse(event.data);
    if (state.rows.some((r) => r.name === name)) search();
  });
  events.addEventListener('remote', (event) => {
    // When the last command arrived (for the status line's tooltip, and tests that time remote control).
    document.body.dataset.remoteAt = String(Date.now());
    const command = JSON.parse(event.data);
    const popup = playerSettings().popup;
    switch (command.verb) {
      case 'TRAC':
        if (popup) {
          document.body.classList.remove('player-hidden');
          window.focus();
        }
        player.load(command.recording, { remote: true });
        break;
      case 'PLAY':
        player.play();
        break;
      case 'PAUS':
        player.pause();
        break;
      case 'STOP':
        player.stop();
        break;
      case 'EJEC':
        player.eject();
        if (popup) document.body.classList.add('player-hidden');
        break;
    }
  });
}

// ------------------------------------------------------------------------------------------------ keyboard

document.addEventListener('keydown', (event) => {
  if (!state.session || $('app').hidden) return;
  const target = event.target;
  if (target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const rows = visibleRows();
  switch (event.key) {
    case ' ':
      event.preventDefault();
      if (player.row) player.toggle();
      else if (rows[state.cursor]) playRows([rows[state.cursor]]);
      break;
    case 'ArrowLeft':
      event.preventDefault();
      player.skip(event.shiftKey ? -30 : -5);
      break;
    case 'ArrowRight':
      event.preventDefault();
      player.skip(event.shiftKey ? 30 : 5);
      break;
    case 'ArrowDown':
    case 'ArrowUp': {
      event.preventDefault();
      if (rows.length === 0) break;
      const next = Math.min(rows.length - 1, Math.max(0, state.cursor + (event.key === 'ArrowDown' ? 1 : -1)));
      state.cursor = next;
      state.anchor = next;
      state.selected = new Set([rows[next].name]);
      renderTable();
      document.querySelector(`#results-body tr:nth-child(${next + 1})`)?.scrollIntoView({ block: 'nearest' });
      break;
    }
    case 'Enter':
      if (rows[state.cursor]) playRows(selectedRows().length > 1 ? selectedRows() : [rows[state.cursor]]);
      break;
    case 'n':
    case 'N':
      player.step(1);
      break;
    case 'p':
    case 'P':
      player.step(-1);
      break;
    case 'Home':
      if (player.row) player.audio.currentTime = 0;
      break;
    case '1':
    case '2':
    case '3':
    case '4':
      player.selectMemory(Number(event.key) - 1);
      break;
  }
});

start();
