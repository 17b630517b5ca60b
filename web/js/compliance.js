// Supervisors' compliance dialog: the audit trails (the player's: who did what; the service's: call outcomes,
// retention, starts), filtered, exported as CSV and checked; and completeness — every call of a recorded user in a
// period matched to its recording or the logged reason (GET /api/reconcile); and legal holds (place, release).
import { api } from './api.js';
import { $, h, toast } from './util.js';

const PAGE = 200;

function trailQuery() {
  const params = new URLSearchParams();
  params.set('trail', $('t-trail').value);
  for (const [key, id] of [['user', 't-user'], ['action', 't-action'], ['recording', 't-recording'], ['from', 't-from'], ['to', 't-to']]) {
    const value = $(id).value.trim();
    if (value) params.set(key, value);
  }
  return params;
}

function detailText(entry) {
  const { recording: _recording, ...rest } = entry.detail;
  return Object.keys(rest).length > 0 ? JSON.stringify(rest) : '';
}

async function showTrail() {
  const params = trailQuery();
  $('t-csv').href = `/api/audit?${params}&format=csv`;
  params.set('limit', String(PAGE));
  const body = $('trail-body');
  try {
    const page = await api(`/api/audit?${params}`);
    body.textContent = '';
    for (const entry of page.entries) {
      body.append(
        h('tr', { dataset: { seq: String(entry.seq) } },
          h('td', {}, String(entry.seq)),
          h('td', {}, entry.at.replace('T', ' ').slice(0, 19)),
          h('td', {}, entry.user),
          h('td', {}, entry.action),
          h('td', {}, entry.recording || ''),
          h('td', { class: 'detail' }, detailText(entry)),
        ),
      );
    }
    $('t-summary').textContent = `${page.total} entr${page.total === 1 ? 'y' : 'ies'}${page.total > page.entries.length ? `, newest ${page.entries.length} shown` : ''}`;
  } catch (error) {
    body.textContent = '';
    $('t-summary').textContent = error.message;
  }
}

async function verifyTrail() {
  try {
    const result = await api(`/api/audit/verify?trail=${$('t-trail').value}`, { method: 'POST' });
    const verdict = result.problems.length === 0 ? 'intact' : `${result.problems.length} problem(s): ${result.problems.map((p) => `line ${p.line} ${p.kind}`).join('; ')}`;
    $('t-summary').textContent = `${result.path}: ${result.entries} entries, ${result.checkpointsVerified} of ${result.checkpoints} checkpoints verified — ${verdict}`;
    $('t-summary').dataset.verdict = result.problems.length === 0 ? 'intact' : 'broken';
  } catch (error) {
    toast('Not verified', error.message, 'error');
  }
}

async function runReconcile() {
  const from = $('r-from').value;
  const to = $('r-to').value;
  const params = new URLSearchParams({ from, to });
  $('r-csv').href = `/api/reconcile?${params}&format=csv`;
  $('r-summary').textContent = 'asking the reporting…';
  const body = $('recon-body');
  body.textContent = '';
  try {
    const report = await api(`/api/reconcile?${params}`);
    const all = $('r-all').checked;
    for (const call of report.calls) {
      if (!all && !call.problem) continue;
      const what = [call.recordings.join(', '), call.cause ? `(${call.cause})` : '', call.reason || ''].filter(Boolean).join(' ');
      body.append(
        h('tr', { class: call.problem ? 'finding' : '', dataset: { conf: call.conf, verdict: call.verdict } },
          h('td', {}, call.start.replace('T', ' ').slice(0, 19)),
          h('td', {}, call.agents.join(', ')),
          h('td', {}, call.external || '—'),
          h('td', { class: `verdict${call.problem ? ' problem' : ''}` }, call.verdict),
          h('td', { class: 'detail' }, what),
        ),
      );
    }
    const counts = Object.entries(report.counts).filter(([, n]) => n > 0).map(([verdict, n]) => `${verdict} ${n}`).join(', ');
    $('r-summary').textContent = `${report.calls.length} call(s) of recorded users${counts ? `: ${counts}` : ''} — ${report.problems === 0 ? 'complete' : `${report.problems} finding(s)`}`;
    $('r-summary').dataset.problems = String(report.problems);
  } catch (error) {
    $('r-summary').textContent = error.message;
    delete $('r-summary').dataset.problems;
  }
}

function describeScope(scope) {
  if (scope.kind === 'recording') return `recording ${scope.recording}`;
  if (scope.kind === 'agent') return `agent ${scope.agent}`;
  return `${scope.from} … ${scope.to}`;
}

async function showHolds() {
  const body = $('holds-body');
  try {
    const { holds } = await api('/api/holds');
    body.textContent = '';
    for (const hold of holds) {
      const release = hold.released
        ? ''
        : h('button', { class: 'btn btn-ghost', type: 'button', dataset: { release: hold.id }, onclick: () => releaseHold(hold.id) }, 'Release…');
      body.append(
        h('tr', { dataset: { hold: hold.id, state: hold.released ? 'released' : 'active' } },
          h('td', {}, hold.id),
          h('td', {}, describeScope(hold.scope)),
          h('td', { class: 'detail' }, hold.reason),
          h('td', {}, `${hold.placedBy}, ${hold.placedAt.replace('T', ' ').slice(0, 16)}`),
          h('td', {}, hold.released ? `released by ${hold.released.by}: ${hold.released.reason}` : 'in force'),
          h('td', {}, release),
        ),
      );
    }
    $('h-summary').textContent = `${holds.filter((x) => !x.released).length} in force, ${holds.length} in all`;
  } catch (error) {
    $('h-summary').textContent = error.message;
  }
}

async function placeHold() {
  const kind = $('h-kind').value;
  const body = { kind, reason: $('h-reason').value.trim() };
  if (kind === 'agent') body.agent = $('h-agent').value.trim();
  else if (kind === 'period') Object.assign(body, { from: $('h-from').value.trim(), to: $('h-to').value.trim() });
  else body.recording = $('h-recording').value.trim();
  try {
    const hold = await api('/api/holds', { method: 'POST', body });
    toast('Hold placed', `${hold.id}: ${describeScope(hold.scope)}`);
    $('h-reason').value = '';
    showHolds();
  } catch (error) {
    toast('Not placed', error.message, 'error');
  }
}

async function releaseHold(id) {
  const reason = (window.prompt(`Why is ${id} released?`) ?? '').trim();
  if (!reason) return;
  try {
    await api(`/api/holds/${encodeURIComponent(id)}/release`, { method: 'POST', body: { reason } });
    toast('Hold released', id);
  } catch (error) {
    toast('Not released', error.message, 'error');
  }
  showHolds();
}

async function showApprovals() {
  const body = $('approvals-body');
  try {
    const { fourEyes, approvals } = await api('/api/approvals');
    body.textContent = '';
    const me = $('user-name').textContent;
    for (const a of approvals) {
      const state = a.decision ? `${a.decision} by ${a.decidedBy}${a.usedAt ? ', used' : ''}` : 'waiting';
      const decide = (decision) => h('button', { class: 'btn btn-ghost', type: 'button', dataset: { decide: decision }, onclick: () => decideApproval(a.id, decision) }, decision === 'approve' ? 'Approve' : 'Refuse');
      body.append(
        h('tr', { dataset: { approval: a.id, state: a.decision ?? 'waiting' } },
          h('td', {}, a.id),
          h('td', {}, a.action),
          h('td', { class: 'detail' }, a.recordings.join(', ')),
          h('td', { class: 'detail' }, a.reason),
          h('td', {}, a.requestedBy),
          h('td', {}, state),
          h('td', {}, a.decision || a.requestedBy === me ? '' : [decide('approve'), decide('refuse')]),
        ),
      );
    }
    $('ap-summary').textContent = fourEyes.length > 0 ? `four-eyes for ${fourEyes.join(' and ')}; ${approvals.filter((a) => !a.decision).length} waiting` : 'no four-eyes approval is asked for on this site';
  } catch (error) {
    $('ap-summary').textContent = error.message;
  }
}

async function decideApproval(id, decision) {
  try {
    await api(`/api/approvals/${encodeURIComponent(id)}/${decision}`, { method: 'POST' });
    toast(decision === 'approve' ? 'Approved' : 'Refused', id);
  } catch (error) {
    toast('Not decided', error.message, 'error');
  }
  showApprovals();
}

function showHoldFields() {
  const kind = $('h-kind').value;
  for (const label of document.querySelectorAll('#hold-form [data-for]')) label.hidden = label.dataset.for !== kind;
}

function showPane(name) {
  for (const button of document.querySelectorAll('#compliance [data-pane]')) button.classList.toggle('active', button.dataset.pane === name);
  $('pane-trail').hidden = name !== 'trail';
  $('pane-completeness').hidden = name !== 'completeness';
  $('pane-holds').hidden = name !== 'holds';
  $('pane-approvals').hidden = name !== 'approvals';
  if (name === 'holds') showHolds();
  if (name === 'approvals') showApprovals();
}

/** Wire the dialog (once) and show its button: for supervisors only (the API refuses everyone else anyway). */
export function enableCompliance() {
  const open = $('open-compliance');
  if (!open.hidden) return;
  open.hidden = false;
  const today = new Date().toISOString().slice(0, 10);
  $('r-from').value = today;
  $('r-to').value = today;
  open.addEventListener('click', () => {
    $('compliance').showModal();
    showTrail();
  });
  $('compliance-close').addEventListener('click', () => $('compliance').close());
  for (const button of document.querySelectorAll('#compliance [data-pane]')) button.addEventListener('click', () => showPane(button.dataset.pane));
  $('trail-form').addEventListener('submit', (event) => {
    event.preventDefault();
    showTrail();
  });
  $('t-trail').addEventListener('change', () => showTrail());
  $('t-verify').addEventListener('click', () => verifyTrail());
  $('recon-form').addEventListener('submit', (event) => {
    event.preventDefault();
    runReconcile();
  });
  $('h-kind').addEventListener('change', showHoldFields);
  $('hold-form').addEventListener('submit', (event) => {
    event.preventDefault();
    placeHold();
  });
}
