// The readable answer: the last result (of the editor or of a guided action) as Chinese text,
// shown over GraphiQL's result pane at the press of a tab. Fields are named by their
// descriptions and enum values by theirs (both read from the schema by introspection), times
// in Beijing time, and people and places by their names; opaque IDs and paging are left out.
(function () {
  'use strict';

  var L = window.Linli;
  var h = L.h;
  var MODE_KEY = 'linli.readable';

  var SKIP = { id: true, __typename: true, cursor: true, pageInfo: true, edges: true };
  var NAMED = { Place: true, Account: true, Resident: true };

  // rootType finds the type the operation starts from: the named operation, else the first.
  function rootType(query, operationName) {
    var roots = L.get().roots || {};
    var text = String(query || '').replace(/#[^\n]*/g, '');
    var re = /(^|[\s}])(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?/g;
    var m, first = null;
    while ((m = re.exec(text))) {
      if (!first) first = m[2];
      if (operationName && m[3] === operationName) return roots[m[2]];
    }
    if (!first && /^\s*\{/.test(text)) first = 'query';
    return roots[first || 'query'];
  }

  function fieldOf(typeName, key) {
    var types = L.get().types || {};
    var t = typeName && types[typeName];
    return (t && t.fields[key]) || null;
  }

  // enumByValue guesses the enum of a value when the field is not known (an alias): only when
  // exactly one enum has that value.
  function enumByValue(v) {
    var types = L.get().types || {};
    var found = null;
    for (var name in types) {
      if (types[name].kind === 'ENUM' && name.indexOf('__') !== 0 && Object.prototype.hasOwnProperty.call(types[name].values, v)) {
        if (found) return null;
        found = name;
      }
    }
    return found;
  }

  function scalarText(v, typeName) {
    if (v === null || v === undefined) return '无';
    if (typeof v === 'boolean') return v ? '是' : '否';
    if (typeof v === 'number') return String(v);
    var types = L.get().types || {};
    var t = typeName && types[typeName];
    if (t && t.kind === 'ENUM') return L.enumLabel(typeName, v);
    if (L.isTime(v)) return L.fmtTime(v) + '（北京时间）';
    if (!typeName && /^[A-Z][A-Z_]+$/.test(v)) {
      var e = enumByValue(v);
      if (e) return L.enumLabel(e, v);
    }
    return v;
  }

  function label(typeName, key) {
    // The field's description, else its type's ("心愿类别。" for category), else the name.
    var f = fieldOf(typeName, key);
    var s = f && L.short(f.description);
    if (s && s.length <= 14) return s;
    var types = L.get().types || {};
    var t = f && types[f.type];
    s = t && t.kind !== 'OBJECT' && L.short(t.description);
    return s && s.length <= 14 ? s : key;
  }

  function render(value, typeName, key) {
    if (Array.isArray(value)) {
      if (!value.length) return h('span', { className: 'lg-none' }, '（无）');
      return h('ol', null, value.map(function (v, i) { return h('li', { key: i }, render(v, typeName, key)); }));
    }
    if (value && typeof value === 'object') {
      var keys = Object.keys(value).filter(function (k) { return !SKIP[k]; });
      // A person or a place reads as its name; with other fields, the name leads.
      if (NAMED[typeName] && typeof value.name === 'string') {
        keys = keys.filter(function (k) { return k !== 'name'; });
        if (!keys.length) return h('span', null, value.name);
        return h('div', null, h('b', null, value.name), rows(value, typeName, keys));
      }
      return rows(value, typeName, keys);
    }
    return h('span', null, scalarText(value, typeName));
  }

  function rows(obj, typeName, keys) {
    return h('dl', null, keys.map(function (k) {
      var f = fieldOf(typeName, k);
      var sub = f ? f.type : null;
      var lbl = k === 'totalCount' ? '共计（条）' : k === 'nodes' ? '列表' : label(typeName, k);
      return [h('dt', { key: k + ':t' }, lbl), h('dd', { key: k + ':d' }, render(obj[k], sub, k))];
    }));
  }

  function Readable() {
    var st = L.useStore();
    var mode = React.useState(function () {
      try { return window.localStorage.getItem(MODE_KEY) !== 'json'; } catch (e) { return true; }
    });
    function set(on) {
      mode[1](on);
      try { window.localStorage.setItem(MODE_KEY, on ? 'text' : 'json'); } catch (e) { /* fine */ }
    }
    var last = st.last;
    var content;
    if (!last || !last.result) {
      content = h('p', { className: 'lg-note' }, '运行一个操作（或在“办事”里点按钮）后，这里用中文显示结果。');
    } else {
      var r = last.result;
      var root = rootType(last.query, last.operationName);
      content = h('div', null,
        (r.errors || []).map(function (e, i) {
          return h('p', { key: i, className: 'lg-error' }, '出错：' + e.message);
        }),
        r.data ? render(r.data, root, '') : null);
    }
    return h('div', { className: 'lg-readable-wrap' + (mode[0] ? ' lg-on' : '') },
      h('div', { className: 'lg-readable-tabs', role: 'tablist' },
        h('button', { type: 'button', role: 'tab', 'aria-selected': mode[0], 'data-testid': 'readable-toggle',
          className: 'lg-tab' + (mode[0] ? ' lg-active' : ''), onClick: function () { set(true); } }, '看懂结果'),
        h('button', { type: 'button', role: 'tab', 'aria-selected': !mode[0], 'data-testid': 'raw-toggle',
          className: 'lg-tab' + (mode[0] ? '' : ' lg-active'), onClick: function () { set(false); } }, '原始 JSON')),
      h('div', { className: 'lg-readable', 'data-testid': 'readable', hidden: !mode[0] }, content));
  }

  L.Readable = Readable;
  L.readableRoot = rootType;
})();
