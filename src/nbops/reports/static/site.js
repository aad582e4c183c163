/* nbops report site: sort and filter the runs table. No network, no libraries. */
(function () {
  var table = document.getElementById('runs');
  if (!table) return;
  var body = table.tBodies[0];
  var text = document.getElementById('filter-text');
  var status = document.getElementById('filter-status');
  var count = document.getElementById('shown-count');
  function value(row, index, kind) {
    var cell = row.cells[index];
    var raw = cell.getAttribute('data-v');
    if (raw === null) raw = cell.textContent;
    if (kind === 'num') { var n = parseFloat(raw); return isNaN(n) ? -Infinity : n; }
    return raw.toLowerCase();
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    if (!th.hasAttribute('data-sort')) return;
    th.addEventListener('click', function () {
      var kind = th.getAttribute('data-sort');
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = value(a, index, kind), y = value(b, index, kind);
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  var experiment = document.getElementById('filter-experiment');
  var data = document.getElementById('filter-data');
  var param = document.getElementById('filter-param');
  function paramMatch(row, wanted) {
    if (!wanted) return true;
    var pairs = (row.getAttribute('data-params') || '').toLowerCase().split(';');
    return wanted.split(/\s+/).every(function (w) {
      return pairs.some(function (p) { return w.indexOf('=') >= 0 ? p === w : p.indexOf(w) !== -1; });
    });
  }
  function filter() {
    var needle = (text.value || '').toLowerCase();
    var wanted = status.value;
    var exp = experiment ? experiment.value : '';
    var src = data ? data.value : '';
    var par = param ? (param.value || '').trim().toLowerCase() : '';
    var shown = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var ok = (!wanted || row.getAttribute('data-status') === wanted) &&
               (!exp || row.getAttribute('data-experiment') === exp) &&
               (!src || row.getAttribute('data-data') === src) &&
               paramMatch(row, par) &&
               (!needle || row.textContent.toLowerCase().indexOf(needle) !== -1);
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    count.textContent = String(shown);
  }
  text.addEventListener('input', filter);
  status.addEventListener('change', filter);
  if (experiment) experiment.addEventListener('change', filter);
  if (data) data.addEventListener('change', filter);
  if (param) param.addEventListener('input', filter);
  var button = document.getElementById('compare-picked');
  function picked() {
    return Array.prototype.filter.call(table.querySelectorAll('input.pick'), function (b) { return b.checked; })
      .map(function (b) { return b.value; });
  }
  table.addEventListener('change', function (event) {
    if (event.target.classList.contains('pick')) button.disabled = picked().length < 2;
  });
  button.addEventListener('click', function () {
    window.location.href = button.getAttribute('data-href') + '?runs=' + picked().map(encodeURIComponent).join(',');
  });
})();
