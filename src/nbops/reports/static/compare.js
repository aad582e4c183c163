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
    curvesSection();
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
    /* Metrics logged with a step: each run's curve on one chart per metric, overlaid
       (the run page's chart, nbops.reports._charts_svg.curve_chart, in the same layout). */
    function curvesSection() {
      var names = [];
      present.forEach(function (run) {
        Object.keys(run.curves || {}).forEach(function (n) { if (names.indexOf(n) < 0) names.push(n); });
      });
      if (!names.length) return;
      var section = el('section', null, 'compare-section');
      section.id = 'compare-curves';
      section.appendChild(el('h2', 'Learning curves'));
      var charts = el('div', null, 'charts');
      names.forEach(function (name) { charts.appendChild(curveChart(name)); });
      section.appendChild(charts);
      root.appendChild(section);
    }
    function svgEl(tag, attrs, text) {
      var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
      if (text !== undefined) node.textContent = String(text);
      return node;
    }
    function curveChart(name) {
      var W = 360, H = 180, L = 60, R = 12, T = 22, B = 34, pw = W - L - R, ph = H - T - B;
      var colours = ['#0969da', '#cf222e', '#1a7f37', '#8250df', '#bf8700', '#0a3069'];
      var svg = svgEl('svg', {width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img',
        'class': 'nbops-chart nbops-curve', 'data-metric': name, 'font-size': 10,
        'font-family': 'system-ui, sans-serif', 'aria-label': 'curves of ' + name});
      svg.appendChild(svgEl('rect', {x: L, y: T, width: pw, height: ph, fill: '#f6f8fa', stroke: '#d0d7de'}));
      var all = [];
      present.forEach(function (run) {
        var c = (run.curves || {})[name];
        if (c) c.steps.forEach(function (s, i) { all.push([s, c.values[i]]); });
      });
      var xs = all.map(function (p) { return p[0]; }), ys = all.map(function (p) { return p[1]; });
      var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
      var lo = Math.min.apply(null, ys), hi = Math.max.apply(null, ys);
      var pad = (hi - lo) * 0.08 || (Math.abs(hi) * 0.05 || 1); lo -= pad; hi += pad;
      function sx(s) { return L + (x1 === x0 ? pw / 2 : pw * (s - x0) / (x1 - x0)); }
      function sy(v) { return T + ph * (1 - (v - lo) / (hi - lo)); }
      [lo + pad, hi - pad].forEach(function (v) {
        svg.appendChild(svgEl('text', {x: L - 4, y: (sy(v) + 3).toFixed(1), 'text-anchor': 'end', fill: '#57606a'}, fmt(v)));
      });
      var lx = L + 4;
      present.forEach(function (run, i) {
        var c = (run.curves || {})[name];
        var letter = String.fromCharCode(65 + i), colour = colours[i % colours.length];
        if (!c) return;
        var line = svgEl('polyline', {'class': 'curve', 'data-run': run.run_id, 'data-label': letter,
          'data-points': c.steps.length, fill: 'none', stroke: colour, 'stroke-width': 2,
          points: c.steps.map(function (s, k) { return sx(s).toFixed(1) + ',' + sy(c.values[k]).toFixed(1); }).join(' ')});
        line.appendChild(svgEl('title', {}, letter + ': ' + run.run_id + ', last ' + fmt(c.values[c.values.length - 1]) +
          ' at step ' + c.steps[c.steps.length - 1]));
        svg.appendChild(line);
        svg.appendChild(svgEl('line', {x1: lx, x2: lx + 9, y1: T - 11, y2: T - 11, stroke: colour, 'stroke-width': 2}));
        svg.appendChild(svgEl('text', {x: lx + 11, y: T - 8, fill: '#57606a'}, letter));
        lx += 30;
      });
      svg.appendChild(svgEl('text', {x: L, y: H - 20, fill: '#57606a'}, x0));
      svg.appendChild(svgEl('text', {x: L + pw, y: H - 20, 'text-anchor': 'end', fill: '#57606a'}, x1));
      svg.appendChild(svgEl('text', {x: L + pw / 2, y: H - 4, 'text-anchor': 'middle', fill: '#57606a'}, 'step'));
      svg.appendChild(svgEl('text', {x: 10, y: T + ph / 2, 'text-anchor': 'middle', fill: '#57606a',
        transform: 'rotate(-90 10 ' + (T + ph / 2) + ')'}, name.slice(0, 28)));
      var box = el('div', null, 'chart'); box.appendChild(el('h3', name)); box.appendChild(svg);
      return box;
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
