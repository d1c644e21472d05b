// The console's accounts section (scope accounts:admin): list, show, pause, resume, offboard.
// Plain DOM, text only through textContent: account ids, reasons and error messages are data, never markup.
'use strict';
window.xauthAccounts = function (ui) {
  const { $, api, fill, cell } = ui;
  let current;

  const tokensText = (a) => a.tokens.map((t) => `${t.app}: ${t.state}`).join(', ');

  async function refresh() {
    const q = new URLSearchParams({ limit: '50' });
    if ($('accounts-prefix').value.trim()) q.set('prefix', $('accounts-prefix').value.trim());
    if ($('accounts-state').value) q.set('state', $('accounts-state').value);
    if ($('accounts-error-code').value.trim()) q.set('errorCode', $('accounts-error-code').value.trim());
    if ($('accounts-paused').checked) q.set('paused', 'true');
    const page = await api('GET', `/v1/accounts?${q}`);
    $('accounts-summary').className = '';
    $('accounts-summary').textContent =
      `${page.total} match; showing ${page.items.length}. In all ${page.counts.accounts} account(s), ${page.counts.paused} paused`;
    fill(
      $('accounts-counts'),
      Object.entries(page.counts.byState).map(([state, n]) => [state, n]),
    );
    const body = $('accounts').querySelector('tbody');
    body.replaceChildren();
    for (const a of page.items) {
      const tr = document.createElement('tr');
      tr.dataset.account = a.accountId;
      for (const v of [
        a.accountId,
        a.paused ? 'paused' : 'no',
        tokensText(a),
        a.lastJob && a.lastJob.status,
        a.lastJob && a.lastJob.errorCode,
        a.profiles.length ? a.profiles[0].profileId : a.profileGoneAt ? 'gone' : '',
      ])
        cell(tr, v);
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Show';
      button.addEventListener('click', () => show(a.accountId).catch(report));
      cell(tr, '').replaceChildren(button);
      body.appendChild(tr);
    }
  }

  async function show(accountId) {
    const d = await api('GET', `/v1/accounts/${encodeURIComponent(accountId)}`);
    const a = d.account;
    current = a.accountId;
    $('account').hidden = false;
    $('account-id').textContent = a.accountId;
    const dl = $('account-fields');
    dl.replaceChildren();
    for (const [k, v] of [
      ['paused', a.paused ? `yes, by ${a.pausedBy}: ${a.pauseReason}` : 'no'],
      ['tokens', tokensText(a)],
      ['profiles', a.profiles.map((p) => p.profileId).join(', ')],
      ['profile gone since', a.profileGoneAt],
      ['offboarded at', a.offboardAt],
    ]) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v === null || v === undefined || v === '' ? '-' : String(v);
      dd.dataset.field = k;
      dl.append(dt, dd);
    }
    fill(
      $('account-jobs'),
      d.jobs.map((j) => [j.createdAt, j.jobId, j.app, j.status, j.attempt, j.errorCode]),
    );
    fill(
      $('account-events'),
      d.events.map((e) => [e.at, e.kind, e.app, e.errorCode, e.detail]),
    );
  }

  function report(err) {
    $('account-result').textContent = err.message;
    $('account-result').className = 'error';
  }

  $('accounts-filters').addEventListener('submit', (e) => {
    e.preventDefault();
    refresh().catch(report);
  });
  $('account-act').addEventListener('submit', async (e) => {
    e.preventDefault();
    const action = e.submitter && e.submitter.dataset.action;
    if (!current || !action) return;
    $('account-result').className = '';
    try {
      const r = await api('POST', `/v1/accounts/${encodeURIComponent(current)}/${action}`, { reason: $('account-reason').value });
      $('account-result').textContent =
        action === 'offboard'
          ? `offboarded ${r.accountId}: tokens revoked at X and deleted (${(r.revokedApps || []).join(', ') || 'no token'})`
          : `${r.changed ? '' : 'already '}${action === 'pause' ? 'paused' : 'resumed'} ${r.accountId}`;
      await refresh();
      if (action === 'offboard') $('account').hidden = true;
      else await show(current);
    } catch (err) {
      report(err);
    }
  });

  return {
    refresh: () =>
      refresh().catch((err) => {
        $('accounts-summary').textContent = err.message;
        $('accounts-summary').className = 'error';
      }),
  };
};
