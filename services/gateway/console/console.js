// The operator console: the dead-letter office through the gateway's REST API (scope dlq:admin).
// Plain DOM, no framework, and text only through textContent: a dead letter's body is data, never markup.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  let token;
  let current;

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(`${data.code || res.status}: ${data.message || res.statusText}`);
    return data;
  }

  function cell(row, text) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined || text === '' ? '-' : String(text);
    row.appendChild(td);
    return td;
  }

  function fill(table, rows) {
    const body = table.querySelector('tbody');
    body.replaceChildren();
    for (const values of rows) {
      const tr = document.createElement('tr');
      for (const v of values) cell(tr, v);
      body.appendChild(tr);
    }
    return body;
  }

  function filter() {
    const q = new URLSearchParams();
    const status = $('filter-status').value;
    if (status) q.set('status', status);
    if ($('filter-error-code').value.trim()) q.set('errorCode', $('filter-error-code').value.trim());
    if ($('filter-queue').value.trim()) q.set('queue', $('filter-queue').value.trim());
    return q;
  }

  async function refresh() {
    const q = filter();
    const counts = await api('GET', `/v1/dead-letters/counts?${q}`);
    fill(
      $('counts-by-code'),
      counts.byErrorCode.map((c) => [c.errorCode, c.count]),
    );
    fill(
      $('counts-by-queue'),
      counts.byQueue.map((c) => [c.queue, c.count]),
    );
    q.set('limit', '50');
    const page = await api('GET', `/v1/dead-letters?${q}`);
    $('list-summary').textContent = `${page.total} match; showing the newest ${page.items.length}`;
    const body = $('letters').querySelector('tbody');
    body.replaceChildren();
    for (const d of page.items) {
      const tr = document.createElement('tr');
      tr.dataset.id = d.id;
      for (const v of [d.lastFailureAt, d.errorCode, d.queue, d.routingKey, d.attempts, d.status, d.replayCount]) cell(tr, v);
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Show';
      button.addEventListener('click', () => show(d.id).catch(report));
      cell(tr, '').replaceChildren(button);
      body.appendChild(tr);
    }
  }

  async function refreshBreakers() {
    const view = await api('GET', '/v1/breakers');
    const body = fill(
      $('breakers'),
      view.breakers.map((b) => [
        b.service,
        b.name,
        b.state.replace('_', '-'),
        b.failures,
        b.openForMs === undefined ? '' : Math.ceil(b.openForMs / 1000),
        b.lastError,
        b.updatedAt,
      ]),
    );
    for (const [i, b] of view.breakers.entries()) body.children[i].dataset.state = b.state;
    $('breakers-unavailable').textContent = view.unavailable.length ? `Not answering: ${view.unavailable.join(', ')}` : '';
  }

  async function show(id) {
    const d = await api('GET', `/v1/dead-letters/${encodeURIComponent(id)}`);
    current = d;
    $('letter').hidden = false;
    $('letter-id').textContent = d.id;
    const dl = $('letter-fields');
    dl.replaceChildren();
    for (const [k, v] of [
      ['status', d.status],
      ['error code', d.errorCode],
      ['error message', d.errorMessage],
      ['queue', d.queue],
      ['exchange', d.originalExchange],
      ['routing key', d.routingKey],
      ['service', d.service],
      ['attempts', d.attempts],
      ['first failure', d.firstFailureAt],
      ['last failure', d.lastFailureAt],
      ['replays', d.replayCount],
      ['message id', d.messageId],
    ]) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v === null || v === undefined ? '-' : String(v);
      dd.dataset.field = k;
      dl.append(dt, dd);
    }
    $('letter-not-replayable').textContent = d.notReplayable ? `Not replayable: ${d.notReplayable}` : '';
    $('letter-body').textContent = typeof d.body === 'string' ? d.body : JSON.stringify(d.body, null, 2);
    $('letter-headers').textContent = JSON.stringify(d.headers, null, 2);
    fill(
      $('letter-actions'),
      (d.actions || []).map((a) => [a.at, a.action, a.actor, a.reason, a.replayMessageId]),
    );
  }

  const accounts = window.xauthAccounts({ $, api, fill, cell });

  function report(err) {
    $('act-result').textContent = err.message;
    $('act-result').className = 'error';
  }

  $('sign-in').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('sign-in-error').textContent = '';
    try {
      const res = await fetch('/v1/oauth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // Every scope the client holds: each section needs its own (dlq:admin, accounts:admin).
        body: JSON.stringify({ grant_type: 'client_credentials', client_id: $('client-id').value, client_secret: $('client-secret').value }),
      });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(`${data.code || res.status}: ${data.message || res.statusText}`);
      token = data.access_token;
      $('client-secret').value = '';
      $('who').textContent = `signed in as ${$('client-id').value}`;
      $('sign-in').hidden = true;
      $('office').hidden = false;
      // Other sections (campaigns.js) work with the same token, through the same call.
      document.dispatchEvent(new CustomEvent('xauth:signed-in', { detail: { api } }));
      await Promise.all([refresh(), refreshBreakers(), accounts.refresh()]);
    } catch (err) {
      $('sign-in-error').textContent = err.message;
    }
  });

  $('breakers-refresh').addEventListener('click', () => {
    refreshBreakers().catch(report);
  });
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    refresh().catch(report);
  });

  $('act').addEventListener('submit', async (e) => {
    e.preventDefault();
    const action = e.submitter && e.submitter.dataset.action;
    if (!current || !action) return;
    $('act-result').className = '';
    try {
      const r = await api('POST', `/v1/dead-letters/${encodeURIComponent(current.id)}/${action}`, { reason: $('act-reason').value });
      $('act-result').textContent =
        action === 'replay' ? `replayed as ${r.replayMessageId}${r.reopenedJobId ? ` (reopened job ${r.reopenedJobId})` : ''}` : 'discarded';
      await show(current.id);
      await refresh();
    } catch (err) {
      report(err);
    }
  });

  const dryRunOf = (e) => Boolean(e.submitter && e.submitter.dataset.dryRun === 'true');

  // The filter's letters, replayed (or a dry run): one row per letter, from the same checks as the real replay.
  $('bulk').addEventListener('submit', async (e) => {
    e.preventDefault();
    const dryRun = dryRunOf(e);
    $('bulk-summary').className = '';
    try {
      const f = Object.fromEntries(filter());
      const r = await api('POST', '/v1/dead-letters/replay', { filter: f, reason: $('bulk-reason').value, dryRun });
      const done = dryRun ? r.wouldDo || [] : r.done;
      $('bulk-summary').textContent =
        `${dryRun ? 'dry run: ' : ''}${done.length} of ${r.matched} ${dryRun ? 'would be replayed' : 'replayed'}, ${r.refused.length} ${dryRun ? 'would be refused' : 'refused'}${r.more ? '; more match, run it again for the rest' : ''}`;
      fill($('bulk-result'), [
        ...done.map((d) => [
          d.id,
          dryRun ? 'would replay' : 'replayed',
          '',
          d.reopensJobId || d.reopenedJobId ? `reopens job ${d.reopensJobId || d.reopenedJobId}` : d.replayMessageId,
        ]),
        ...r.refused.map((d) => [d.id, dryRun ? 'would be refused' : 'refused', d.code, d.message]),
      ]);
      $('bulk-result').hidden = false;
      if (!dryRun) await refresh();
    } catch (err) {
      $('bulk-summary').textContent = err.message;
      $('bulk-summary').className = 'error';
    }
  });

  $('relogin').addEventListener('submit', async (e) => {
    e.preventDefault();
    const dryRun = dryRunOf(e);
    $('relogin-summary').className = '';
    const f = {};
    if ($('relogin-error-code').value.trim()) f.errorCode = $('relogin-error-code').value.trim();
    if ($('relogin-account').value.trim()) f.accountId = $('relogin-account').value.trim();
    if ($('relogin-since').value.trim()) f.from = $('relogin-since').value.trim();
    try {
      const r = await api('POST', '/v1/logins/retry-failed', { filter: f, reason: $('relogin-reason').value, dryRun });
      $('relogin-summary').textContent =
        `${dryRun ? 'dry run: ' : ''}${r.requested.length} of ${r.matched} ${dryRun ? 'would be requested again' : 'requested again'}, ${r.refused.length} ${dryRun ? 'would be refused' : 'refused'}${r.actionId ? ` (audit ${r.actionId})` : ''}${r.more ? '; more match, run it again for the rest' : ''}`;
      fill($('relogin-result'), [
        ...r.requested.map((l) => [l.accountId, l.app, l.jobId, dryRun ? 'would be requested' : 'requested', l.errorCode, '']),
        ...r.refused.map((l) => [l.accountId, l.app, l.jobId, dryRun ? 'would be refused' : 'refused', l.code, l.message]),
      ]);
      $('relogin-result').hidden = false;
    } catch (err) {
      $('relogin-summary').textContent = err.message;
      $('relogin-summary').className = 'error';
    }
  });
})();
