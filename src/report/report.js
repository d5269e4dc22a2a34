// patchplan report: sorting, filtering and paging of the findings table. The page reads without
// it. Filters live in the URL's fragment (#customer=a&decision=act), so a view can be shared.
(function () {
  'use strict';
  var root = document.documentElement;
  window.addEventListener('error', function (ev) {
    root.setAttribute('data-errors', String(ev.message));
  });
  var block = document.getElementById('findings-data');
  if (!block) { root.setAttribute('data-ready', '1'); return; }
  var D = JSON.parse(block.textContent);
  var S = D.strings, A = D.advisories, E = D.environments, C = {};
  D.columns.forEach(function (name, i) { C[name] = i; });
  var PAGE = 100;
  var SORTABLE = ['customer', 'environment', 'package', 'version', 'fixed', 'advisory', 'decision',
    'status', 'deadline', 'window', 'score'];
  var form = document.getElementById('filters');
  var tbody = document.querySelector('#findings-table tbody');
  var status = document.getElementById('findings-status');
  var pager = document.getElementById('findings-pager');
  var state = { sort: 'decision', dir: -1, page: 0 };

  function str(i) { return i < 0 ? '' : S[i]; }
  function cell(row, key) {
    switch (key) {
      case 'customer': return E[row[C.environment]][1];
      case 'environment': return E[row[C.environment]][0];
      case 'advisory': return A[row[C.advisory]][0];
      case 'decision': return D.decisions[row[C.decision]];
      case 'status': return D.statuses[row[C.status]];
      case 'score': return row[C.score];
      default: return str(row[C[key]]);
    }
  }
  function readHash() {
    var params = new URLSearchParams(location.hash.slice(1));
    ['customer', 'environment', 'decision', 'status', 'q'].forEach(function (k) {
      if (params.has(k)) { form.elements[k].value = params.get(k); }
    });
    if (params.has('sort') && SORTABLE.indexOf(params.get('sort')) >= 0) { state.sort = params.get('sort'); }
    if (params.has('dir')) { state.dir = params.get('dir') === 'asc' ? 1 : -1; }
  }
  function writeHash() {
    var params = new URLSearchParams();
    ['customer', 'environment', 'decision', 'status', 'q'].forEach(function (k) {
      if (form.elements[k].value) { params.set(k, form.elements[k].value); }
    });
    params.set('sort', state.sort);
    params.set('dir', state.dir > 0 ? 'asc' : 'desc');
    history.replaceState(null, '', '#' + params.toString());
  }
  function matcher() {
    var f = form.elements;
    var cust = f.customer.value, env = f.environment.value.trim(),
      dec = D.decisions.indexOf(f.decision.value), st = D.statuses.indexOf(f.status.value),
      q = f.q.value.trim().toLowerCase();
    // Which environments pass the customer and environment filters, decided once each.
    var envOk = E.map(function (e) {
      return (!cust || e[1] === cust) && (!env || e[0].indexOf(env) === 0);
    });
    return function (r) {
      if (!envOk[r[C.environment]]) return false;
      if (dec >= 0 && r[C.decision] !== dec) return false;
      if (st >= 0 && r[C.status] !== st) return false;
      if (q) {
        var a = A[r[C.advisory]];
        var text = (str(r[C.package]) + ' ' + a[0] + ' ' + a[1] + ' ' + E[r[C.environment]][0]).toLowerCase();
        if (text.indexOf(q) < 0) return false;
      }
      return true;
    };
  }
  function compare(key, dir) {
    return function (x, y) {
      var a = key === 'decision' ? x[C.decision] : cell(x, key),
        b = key === 'decision' ? y[C.decision] : cell(y, key);
      var c = a < b ? -1 : a > b ? 1 : 0;
      if (c === 0 && key !== 'score') { c = x[C.score] - y[C.score]; }
      return c * dir;
    };
  }
  function td(tr, text, cls) {
    var el = document.createElement('td');
    el.textContent = text;
    if (cls) el.className = cls;
    tr.appendChild(el);
    return el;
  }
  function render() {
    var began = performance.now();
    var rows = D.rows.filter(matcher());
    rows.sort(compare(state.sort, state.dir));
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * PAGE, shown = rows.slice(start, start + PAGE);
    var frag = document.createDocumentFragment();
    shown.forEach(function (r) {
      var tr = document.createElement('tr');
      td(tr, cell(r, 'customer'));
      td(tr, cell(r, 'environment'));
      td(tr, str(r[C.package]));
      td(tr, str(r[C.version]));
      td(tr, str(r[C.fixed]) || '-');
      var a = A[r[C.advisory]];
      var adv = td(tr, a[0]);
      adv.appendChild(document.createElement('br'));
      var sum = document.createElement('span');
      sum.className = 'muted';
      sum.textContent = a[1];
      adv.appendChild(sum);
      td(tr, cell(r, 'decision'));
      td(tr, cell(r, 'status'));
      td(tr, str(r[C.deadline]));
      td(tr, str(r[C.window]) || '-');
      td(tr, r[C.score].toFixed(1), 'num');
      frag.appendChild(tr);
    });
    tbody.replaceChildren(frag);
    status.setAttribute('data-count', String(rows.length));
    // A fleet's page carries only the most urgent findings (D.total counts them all).
    var among = D.total > D.rows.length ?
      ' among the ' + D.rows.length + ' most urgent here (' + D.total + ' in all; plan.json has every one)' : '';
    status.textContent = rows.length === 0 ? 'No findings match' + among + '.' :
      'Findings ' + (start + 1) + '–' + (start + shown.length) + ' of ' + rows.length +
      (among ? (rows.length < D.rows.length ? ' matching' : '') + among :
        rows.length < D.rows.length ? ' matching (' + D.rows.length + ' in all)' : '') + '.';
    pager.hidden = pages < 2;
    document.getElementById('page').textContent = 'Page ' + (state.page + 1) + ' of ' + pages;
    document.getElementById('prev').disabled = state.page === 0;
    document.getElementById('next').disabled = state.page >= pages - 1;
    document.querySelectorAll('#findings-table th[data-key]').forEach(function (th) {
      th.setAttribute('aria-sort', th.getAttribute('data-key') === state.sort ?
        (state.dir > 0 ? 'ascending' : 'descending') : 'none');
    });
    // For bench/report.sh: how long filtering, sorting and drawing the page took.
    root.setAttribute('data-render-ms', (performance.now() - began).toFixed(1));
  }
  document.querySelectorAll('#findings-table th[data-key]').forEach(function (th) {
    var key = th.getAttribute('data-key');
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = th.textContent;
    button.addEventListener('click', function () {
      state.dir = state.sort === key ? -state.dir : (key === 'score' || key === 'decision' ? -1 : 1);
      state.sort = key;
      state.page = 0;
      writeHash();
      render();
    });
    th.replaceChildren(button);
  });
  function changed() { state.page = 0; writeHash(); render(); }
  form.addEventListener('input', changed);
  form.addEventListener('change', changed);
  form.addEventListener('reset', function () { setTimeout(changed, 0); });
  form.addEventListener('submit', function (ev) { ev.preventDefault(); });
  document.getElementById('prev').addEventListener('click', function () { state.page--; render(); });
  document.getElementById('next').addEventListener('click', function () { state.page++; render(); });
  form.hidden = false;
  readHash();
  render();
  root.setAttribute('data-ready-ms', performance.now().toFixed(1));
  root.setAttribute('data-ready', '1');
})();
