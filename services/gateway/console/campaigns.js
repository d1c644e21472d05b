// The console's login campaigns: create, watch progress, pause, resume, cancel (scope logins:write).
// Text only through textContent, like the rest of the console.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  let api;

  function cell(row, text) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined || text === '' ? '-' : String(text);
    row.appendChild(td);
    return td;
  }

  function failedText(p) {
    const codes = Object.entries(p.failedByCode)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    return codes ? `${p.failed} (${codes})` : String(p.failed);
  }

  function say(text, error) {
    $('campaign-summary').textContent = text;
    $('campaign-summary').className = error ? 'error' : '';
  }

  async function act(id, action) {
    try {
      const c = await api('POST', `/v1/campaigns/${encodeURIComponent(id)}/${action}`, {});
      say(`campaign ${c.campaignId} is ${c.status}`);
      await refresh();
    } catch (err) {
      say(err.message, true);
    }
  }

  async function refresh() {
    const list = await api('GET', '/v1/campaigns?limit=50');
    const body = $('campaigns').querySelector('tbody');
    body.replaceChildren();
    for (const c of list.items) {
      const p = c.progress;
      const tr = document.createElement('tr');
      tr.dataset.id = c.campaignId;
      tr.dataset.status = c.status;
      for (const v of [c.campaignId, c.status, p.total, p.succeeded, failedText(p), p.running, p.queued, p.pending, p.cancelled]) cell(tr, v);
      const actions = cell(tr, '');
      actions.replaceChildren();
      const allowed = c.status === 'running' ? ['pause', 'cancel'] : c.status === 'paused' ? ['resume', 'cancel'] : [];
      for (const action of allowed) {
        const button = document.createElement('button');
        button.type = 'button';
        button.dataset.action = action;
        button.textContent = action[0].toUpperCase() + action.slice(1);
        button.addEventListener('click', () => act(c.campaignId, action));
        actions.appendChild(button);
      }
      body.appendChild(tr);
    }
  }

  function selection() {
    const kind = $('campaign-kind').value;
    const argument = $('campaign-argument').value.trim();
    if (kind === 'accounts') return { kind, accountIds: argument.split(/[\s,]+/).filter(Boolean) };
    if (kind === 'error-code') return { kind, errorCode: argument };
    return { kind };
  }

  document.addEventListener('xauth:signed-in', (e) => {
    api = e.detail.api;
    refresh().catch((err) => say(err.message, true));
  });
  $('campaigns-refresh').addEventListener('click', () => {
    refresh().catch((err) => say(err.message, true));
  });
  $('campaign-create').addEventListener('submit', async (e) => {
    e.preventDefault();
    const rate = Number($('campaign-rate').value);
    try {
      const c = await api('POST', '/v1/campaigns', {
        selection: selection(),
        reason: $('campaign-reason').value,
        ...(rate > 0 ? { ratePerSecond: rate } : {}),
      });
      say(`started campaign ${c.campaignId}: ${c.progress.total} login(s) at ${c.ratePerSecond}/s`);
      await refresh();
    } catch (err) {
      say(err.message, true);
    }
  });
})();
