// The playground's shared state and its talk with the server: the stored sign-in, one small
// store every part of the page reads (React's useSyncExternalStore), GraphQL requests with the
// token added, the schema's Chinese names for enum values and fields, and Beijing time.
// Plain script (no build step): everything hangs off window.Linli.
(function () {
  'use strict';

  var L = (window.Linli = {});
  var TOKEN_KEY = 'linli.token';
  var SIZE_KEY = 'linli.textSize';

  var root = document.getElementById('graphiql');
  L.endpoint = new URL((root && root.getAttribute('data-endpoint')) || '/query', window.location.href).href;

  function storageGet(key) {
    try { return window.localStorage.getItem(key) || ''; } catch (e) { return ''; }
  }
  function storageSet(key, value) {
    try {
      if (value) window.localStorage.setItem(key, value);
      else window.localStorage.removeItem(key);
    } catch (e) { /* private mode: the sign-in lasts for this tab only */ }
  }

  // ---------------------------------------------------------------- the store
  var state = {
    token: storageGet(TOKEN_KEY),
    me: null, // { name, roles: [{ role, place: { id, name } }], resident }
    signinError: '',
    toast: null, // { text, kind: 'ok' | 'error', n }
    last: null, // { query, variables, result }: the last answer, for the readable view
    types: null, // from introspection: name -> { kind, fields, values }
    roots: null,
    textSize: parseInt(storageGet(SIZE_KEY), 10) || 0
  };
  var listeners = new Set();
  L.get = function () { return state; };
  L.set = function (patch) {
    state = Object.assign({}, state, patch);
    listeners.forEach(function (f) { f(); });
  };
  L.subscribe = function (f) {
    listeners.add(f);
    return function () { listeners.delete(f); };
  };
  L.useStore = function () { return React.useSyncExternalStore(L.subscribe, L.get); };

  var toastCount = 0;
  L.toast = function (text, kind) {
    L.set({ toast: { text: text, kind: kind || 'ok', n: ++toastCount } });
  };

  // ---------------------------------------------------------------- requests
  // authHeaders adds the stored token to headers unless they already carry a real
  // Authorization (one a developer typed wins; an empty "Bearer " counts as none).
  L.authHeaders = function (headers) {
    var h = Object.assign({}, headers || {});
    var typed = false;
    Object.keys(h).forEach(function (k) {
      if (k.toLowerCase() !== 'authorization') return;
      var v = String(h[k] == null ? '' : h[k]).trim();
      if (v === '' || /^bearer$/i.test(v)) delete h[k];
      else typed = true;
    });
    if (!typed && state.token) h.Authorization = 'Bearer ' + state.token;
    return h;
  };

  // request runs one operation with the stored token and answers the GraphQL response
  // (a failed connection becomes an error with a Chinese message, never a throw).
  L.request = async function (query, variables) {
    var body;
    try {
      var res = await fetch(L.endpoint, {
        method: 'POST',
        headers: L.authHeaders({ 'Content-Type': 'application/json', Accept: 'application/json' }),
        body: JSON.stringify({ query: query, variables: variables || {} })
      });
      body = await res.json();
    } catch (e) {
      body = { errors: [{ message: '连不上服务器，请检查网络后重试', extensions: { code: 'NETWORK' } }] };
    }
    L.noticeAuth(body);
    return body;
  };

  // noticeAuth drops a stored token the server no longer accepts, so the page shows the
  // sign-in form with the server's own reason (expired, ended, malformed).
  L.noticeAuth = function (body) {
    var errs = (body && body.errors) || [];
    for (var i = 0; i < errs.length; i++) {
      var e = errs[i];
      if (e.extensions && e.extensions.code === 'UNAUTHENTICATED' && state.token &&
          !(e.path && (e.path[0] === 'login' || e.path[0] === 'register'))) {
        L.forget(e.message);
        return;
      }
    }
  };

  L.errorText = function (body) {
    var errs = (body && body.errors) || [];
    return errs.map(function (e) { return e.message; }).join('；');
  };

  // ---------------------------------------------------------------- sign-in
  var ME = 'query Me {\n  me {\n    name\n    resident { id household { name } }\n' +
    '    roles { role place { id name level } }\n  }\n}';

  L.refreshMe = async function () {
    if (!state.token) {
      L.set({ me: null });
      return;
    }
    var body = await L.request(ME);
    if (body.data && body.data.me) L.set({ me: body.data.me, signinError: '' });
  };

  L.LOGIN = 'mutation Login($phone: String!, $password: String!) {\n' +
    '  login(phone: $phone, password: $password) {\n    token\n    expiresAt\n  }\n}';

  L.adopt = function (token) {
    storageSet(TOKEN_KEY, token);
    L.set({ token: token, signinError: '' });
    return L.refreshMe();
  };

  // forget clears the sign-in here and, through the storage event, in every other tab.
  L.forget = function (reason) {
    storageSet(TOKEN_KEY, '');
    L.set({ token: '', me: null, signinError: reason || '' });
  };

  L.signOut = async function () {
    if (state.token) {
      await L.request('mutation Logout {\n  logout\n}');
    }
    L.forget('');
    L.toast('已退出登录');
  };

  window.addEventListener('storage', function (e) {
    if (e.key === TOKEN_KEY || e.key === null) {
      var token = storageGet(TOKEN_KEY);
      if (token === state.token) return;
      L.set({ token: token, me: null, signinError: '' });
      if (token) L.refreshMe();
    } else if (e.key === SIZE_KEY) {
      L.set({ textSize: parseInt(storageGet(SIZE_KEY), 10) || 0 });
    }
  });

  L.hasRole = function (me, roles) {
    return !!me && me.roles.some(function (g) { return roles.indexOf(g.role) >= 0; });
  };

  L.setTextSize = function (n) {
    n = Math.max(0, Math.min(4, n));
    storageSet(SIZE_KEY, String(n));
    L.set({ textSize: n });
  };

  // ---------------------------------------------------------------- the schema's words
  // Enum values and fields are named in Chinese by their descriptions in the schema, read by
  // introspection: no second, hand-kept table to fall out of step.
  var TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';
  var SCHEMA = 'query LinliWords {\n  __schema {\n    queryType { name }\n    mutationType { name }\n' +
    '    subscriptionType { name }\n    types {\n      name kind description\n      enumValues { name description }\n' +
    '      fields { name description type { ' + TYPE_REF + ' } }\n    }\n  }\n}';

  function named(t) {
    while (t && t.ofType) t = t.ofType;
    return t ? t.name : null;
  }

  L.loadSchema = async function () {
    var body = await L.request(SCHEMA);
    var s = body.data && body.data.__schema;
    if (!s) return;
    var types = {};
    s.types.forEach(function (t) {
      var entry = { kind: t.kind, description: t.description || '', fields: {}, values: {} };
      (t.fields || []).forEach(function (f) {
        entry.fields[f.name] = { type: named(f.type), description: f.description || '' };
      });
      (t.enumValues || []).forEach(function (v) { entry.values[v.name] = v.description || ''; });
      types[t.name] = entry;
    });
    L.set({
      types: types,
      roots: {
        query: s.queryType && s.queryType.name,
        mutation: s.mutationType && s.mutationType.name,
        subscription: s.subscriptionType && s.subscriptionType.name
      }
    });
  };

  // short cuts a description to its first phrase: "已发布，等待认领" -> "已发布",
  // "社区工作者（居委会）" -> "社区工作者".
  L.short = function (text) {
    return String(text || '').replace(/（[^）]*）|\([^)]*\)/g, '').split(/[，。：；\n]/)[0].trim();
  };

  // enumLabel names an enum value by its description's first phrase, or the value itself.
  L.enumLabel = function (enumName, value) {
    var t = state.types && state.types[enumName];
    var d = t && t.values[value];
    return (d && L.short(d)) || value;
  };
  L.enumValues = function (enumName) {
    var t = state.types && state.types[enumName];
    return t ? Object.keys(t.values) : [];
  };

  // ---------------------------------------------------------------- Beijing time
  // China keeps UTC+8 all year (no daylight saving), so the offset is fixed: shift and read
  // the UTC fields, with no dependence on the browser's own time zone or locale data.
  var WEEK = ['日', '一', '二', '三', '四', '五', '六'];
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function beijing(d) { return new Date(d.getTime() + 8 * 3600 * 1000); }

  L.isTime = function (v) {
    return typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(v);
  };

  L.fmtTime = function (iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    var b = beijing(d);
    var nowYear = beijing(new Date()).getUTCFullYear();
    var date = (b.getUTCFullYear() !== nowYear ? b.getUTCFullYear() + '年' : '') +
      (b.getUTCMonth() + 1) + '月' + b.getUTCDate() + '日';
    return date + '（周' + WEEK[b.getUTCDay()] + '）' + pad(b.getUTCHours()) + ':' + pad(b.getUTCMinutes());
  };

  // beijingInput is the value of a datetime-local input for a moment, in Beijing time.
  L.beijingInput = function (d) {
    var b = beijing(d);
    return b.getUTCFullYear() + '-' + pad(b.getUTCMonth() + 1) + '-' + pad(b.getUTCDate()) + 'T' +
      pad(b.getUTCHours()) + ':' + pad(b.getUTCMinutes());
  };
  // fromBeijingInput turns such a value back into RFC 3339 with the +08:00 offset.
  L.fromBeijingInput = function (v) {
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(v || '')) return '';
    return v + ':00+08:00';
  };

  // ---------------------------------------------------------------- tiny h helper
  L.h = function (type, props) {
    var children = Array.prototype.slice.call(arguments, 2);
    return React.createElement.apply(React, [type, props || null].concat(children));
  };
})();
