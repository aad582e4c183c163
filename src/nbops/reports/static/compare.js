/* nbops compare page: runs side by side. No network: each run's record is a
   small script file next to its run page (runs/<id>/compare.js), loaded with a
   <script> element so the page works from disk (file://) as well as served.
   Every value is written with textContent, never as HTML. */
(function () {
  var root = document.getElementById('compare');
  if (!root) return;
  window.NBOPS_RUNS = window.NBOPS_RUNS || {};
  var prefix = root.getAttribute('data-prefix') || '';
  var ids = (window.NBOPS_PICK || []).slice();
  if (!ids.length) {
    var query = new URLSearchParams(window.location.search).get('runs') || '';
    ids = query.split(',').filter(function (s) { return /^[0-9]{8}T[0-9]{12}Z-[a-z2-7]{6}$/.test(s); });
  }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function fmt(v) {
    if (v === null || v === undefined) return '\u2013';
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (typeof v === 'number') {
      if (Number.isInteger(v)) return v.toLocaleString('en');
      if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3)) return v.toExponential(3);
      return String(parseFloat(v.toFixed(4)));
    }
    return String(v);
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  if (ids.length < 2) {
    root.appendChild(el('p', 'Pick two or more runs on the runs table (the boxes in its first column), then press "Compare selected".'));
    return;
  }
  var pending = 0;
  ids.forEach(function (id) {
    if (window.NBOPS_RUNS[id]) return;
    pending += 1;
    var script = document.createElement('script');
    script.src = prefix + 'runs/' + encodeURIComponent(id) + '/compare.js';
    script.onload = script.onerror = function () { pending -= 1; if (!pending) render(); };
    document.head.appendChild(script);
  });
  if (!pending) render();

  function render() {
    var runs = ids.map(function (id) { return window.NBOPS_RUNS[id] || null; });
    var missing = ids.filter(function (id, i) { return !runs[i]; });
    if (missing.length) {
      root.appendChild(el('p', 'No comparison data for ' + missing.join(', ') +
        ': render it with `nbops report ' + missing.join(' ') + '`.', 'banner warn'));
    }
    var present = runs.filter(Boolean);
    if (present.length < 2) return;
    var only = document.getElementById('only-differences');
    var head = el('div', null, 'controls');
    var label = el('label');
    var box = document.createElement('input');
    box.type = 'checkbox'; box.id = 'only-differences'; box.checked = true;
    label.appendChild(box); label.appendChild(document.createTextNode(' only rows that differ'));
    head.appendChild(label);
    root.appendChild(head);
    var runsRow = el('p', null, 'compare-runs');
    present.forEach(function (run, i) {
      var a = el('a', String.fromCharCode(65 + i) + ': ' + run.run_id);
      if (!window.NBOPS_PICK) a.href = prefix + 'runs/' + encodeURIComponent(run.run_id) + '/index.html';
      runsRow.appendChild(a); runsRow.appendChild(document.createTextNode(' '));
    });
    root.appendChild(runsRow);
    var titles = Object.keys(present[0].sections);
    titles.forEach(function (title) {
      var names = [];
      present.forEach(function (run) {
        Object.keys(run.sections[title] || {}).forEach(function (n) { if (names.indexOf(n) < 0) names.push(n); });
      });
      if (!names.length) return;
      var section = el('section', null, 'compare-section');
      section.appendChild(el('h2', title));
      var wrap = el('div', null, 'scroll');
      var table = el('table', null, 'compare');
      var thead = el('thead'); var hr = el('tr'); hr.appendChild(el('th', ''));
      present.forEach(function (run, i) { hr.appendChild(el('th', String.fromCharCode(65 + i), 'num')); });
      thead.appendChild(hr); table.appendChild(thead);
      var body = el('tbody'); var changed = 0;
      names.forEach(function (name) {
        var values = present.map(function (run) { var s = run.sections[title] || {}; return name in s ? s[name] : null; });
        var differs = values.some(function (v) { return !same(v, values[0]); });
        if (differs) changed += 1;
        var tr = el('tr', null, differs ? 'differs' : 'same');
        tr.setAttribute('data-name', name);
        tr.appendChild(el('td', name));
        values.forEach(function (v, i) {
          var text = fmt(v);
          if (title === 'Metrics' && i > 0 && typeof v === 'number' && typeof values[0] === 'number') {
            var d = v - values[0];
            text += Math.abs(d) < 1e-12 ? ' (=)' : ' (' + (d > 0 ? '+' : '\u2212') + fmt(Math.abs(d)) + ')';
          }
          tr.appendChild(el('td', text, 'num'));
        });
        body.appendChild(tr);
      });
      table.appendChild(body); wrap.appendChild(table); section.appendChild(wrap);
      if (!changed && title !== 'Metrics') section.classList.add('unchanged');
      section.querySelector('h2').appendChild(el('span', changed ? ' ' + changed + ' differ' : ' identical', 'muted'));
      root.appendChild(section);
    });
    if (!window.NBOPS_PICK) {
      var nb = el('section', null, 'compare-section notebook-links');
      nb.appendChild(el('h2', 'Notebooks, cell by cell'));
      nb.appendChild(el('p', 'Each run\'s executed notebooks against the previous run of its experiment. ' +
        'For any two runs: nbops compare RUN_A RUN_B -o compare.html', 'muted'));
      var list = el('ul');
      present.forEach(function (run, i) {
        var tasks = Object.keys(run.diffs || {});
        var item = el('li', String.fromCharCode(65 + i) + ': ');
        if (!tasks.length) item.appendChild(el('span', 'no notebook changed against ' + (run.previous || 'a previous run'), 'muted'));
        tasks.forEach(function (task) {
          var a = el('a', task);
          a.href = prefix + 'runs/' + encodeURIComponent(run.run_id) + '/' + run.diffs[task];
          item.appendChild(a); item.appendChild(document.createTextNode(' '));
        });
        if (tasks.length) item.appendChild(el('span', '(vs ' + run.previous + ')', 'muted'));
        list.appendChild(item);
      });
      nb.appendChild(list);
      root.appendChild(nb);
      offerPairDiff(nb, list);
    }
    /* Served by `nbops serve`: it diffs the notebooks of exactly the picked runs on request
       (a static copy of the site cannot hold that page for every pair). */
    function offerPairDiff(section, before) {
      if (!/^https?:$/.test(location.protocol) || !window.fetch || present.length < 2) return;
      fetch(prefix + '_nbops/serve.json').then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (info) {
        if (!info || typeof info.compare !== 'string') return;
        var a = el('a', 'These ' + present.length + ' runs\' notebooks against ' +
          present[0].run_id + ', cell by cell');
        a.id = 'pair-diff';
        a.href = prefix + info.compare + '?runs=' + present.map(function (run) {
          return encodeURIComponent(run.run_id);
        }).join(',');
        var p = el('p'); p.appendChild(a);
        section.insertBefore(p, before);
      }).catch(function () { /* opened from files or a bucket: the command above */ });
    }
    function apply() { root.classList.toggle('only-diff', box.checked); }
    box.addEventListener('change', apply); apply();
  }
})();
