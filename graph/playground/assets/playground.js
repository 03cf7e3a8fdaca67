// Starts the playground: the sign-in bar above GraphiQL, GraphiQL with the guided tasks
// plugin (playground-guide.js) and the readable answer under the result. The page carries the
// endpoint in data-endpoint on #graphiql; everything else lives in these files so the page
// needs no inline script.
(function () {
  'use strict';

  var root = document.getElementById('graphiql');
  if (typeof window.GraphiQL !== 'function' || !window.React || !window.ReactDOM || !window.Linli || !window.Linli.guidePlugin) {
    root.textContent = '调试台加载失败，请刷新页面重试。';
    return;
  }
  var L = window.Linli;
  var h = L.h;
  var useState = React.useState, useEffect = React.useEffect, useMemo = React.useMemo;

  var DEFAULT_QUERY = [
    '# 欢迎使用 linli 邻里 GraphQL 调试台。',
    '#',
    '# 不会写 GraphQL 也没关系：左边“办事”面板里点按钮就能认领、完成、确认心愿，',
    '#   每一步用到的 GraphQL 都会出现在这里，右边是服务器的回答。',
    '#',
    '# 登录：在页面最上方填手机号和密码（演示志愿者 13800000002，密码 linli2026）。',
    '#   登录后这里运行的每个请求都自动带上令牌，不用改“请求头”。',
    '#   （在“请求头”里自己写了 Authorization 的，以您写的为准。）',
    '#',
    '# 点运行按钮（▶），选 Me，看看自己是谁；选 Board，订阅心愿墙的实时变化。',
    '',
    'query Me {',
    '  me {',
    '    name',
    '    roles {',
    '      role',
    '      place {',
    '        name',
    '      }',
    '    }',
    '  }',
    '}',
    '',
    'query Feed {',
    '  wishFeed(first: 10) {',
    '    totalCount',
    '    nodes { id title category state deadline address canClaim }',
    '  }',
    '}',
    '',
    'subscription Board {',
    '  wishBoard {',
    '    kind',
    '    wishId',
    '    wish {',
    '      title',
    '      state',
    '      address',
    '    }',
    '  }',
    '}',
    ''
  ].join('\n');

  var httpFetcher = GraphiQL.createFetcher({ url: L.endpoint, enableIncrementalDelivery: false });
  var DEVELOPER_KEY = 'linli.developer';

  // isSubscription tells whether the operation to run is a subscription, from the document
  // GraphiQL parsed (or, failing that, from the text).
  function isSubscription(params, opts) {
    var doc = opts && opts.documentAST;
    if (doc && doc.definitions) {
      var ops = doc.definitions.filter(function (d) { return d.kind === 'OperationDefinition'; });
      var op = ops.length === 1 ? ops[0] : ops.filter(function (d) {
        return d.name && d.name.value === params.operationName;
      })[0];
      return !!op && op.operation === 'subscription';
    }
    return /^\s*subscription\b/m.test(params.query || '');
  }

  // subscribe runs a subscription over server-sent events (graphql-sse, distinct connections
  // mode: a POST with Accept: text/event-stream) and yields each `next` event's payload until
  // `complete`; GraphiQL stops it by returning the iterator, which aborts the request. Only
  // fetch: no library, and the page's connect-src 'self' covers it.
  async function* subscribe(params, opts) {
    var controller = new AbortController();
    var headers = Object.assign({ 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      (opts && opts.headers) || {});
    try {
      var res = await fetch(L.endpoint, {
        method: 'POST', headers: headers, body: JSON.stringify(params), signal: controller.signal
      });
      if (!(res.headers.get('Content-Type') || '').startsWith('text/event-stream')) {
        yield await res.json(); // refused before it started: the errors, as for a query
        return;
      }
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buffer = '';
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, '\n');
        var end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          var block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          var event = 'message', data = [];
          block.split('\n').forEach(function (line) {
            if (line.indexOf('event:') === 0) event = line.slice(6).trim();
            else if (line.indexOf('data:') === 0) data.push(line.slice(5).replace(/^ /, ''));
          });
          if (event === 'complete') return;
          if (event === 'next' && data.length) yield JSON.parse(data.join('\n'));
        }
      }
    } finally {
      controller.abort();
    }
  }

  // remember keeps an answer GraphiQL got for the readable view, and adopts a token from a
  // `login` run by hand so the rest of the page is signed in too.
  // stored tells whether the request carried the stored token (not one typed in Headers):
  // only then does a refusal of the sign-in sign the page out.
  function remember(params, body, stored) {
    if (params.operationName === 'IntrospectionQuery') return;
    L.set({ last: { query: params.query, operationName: params.operationName, variables: params.variables, result: body } });
    var login = body && body.data && (body.data.login || body.data.register);
    if (login && login.token) L.adopt(login.token);
    else if (stored) L.noticeAuth(body);
  }

  async function* recorded(params, it, stored) {
    for await (var body of it) {
      remember(params, body, stored);
      yield body;
    }
  }

  // fetcher adds the stored sign-in to GraphiQL's requests unless the Headers tab carries
  // an Authorization of its own (see Linli.authHeaders).
  function fetcher(params, opts) {
    var o = Object.assign({}, opts, { headers: L.authHeaders(opts && opts.headers) });
    var stored = !!L.get().token && o.headers.Authorization === 'Bearer ' + L.get().token;
    if (params.operationName !== 'IntrospectionQuery') {
      try { window.localStorage.setItem(DEVELOPER_KEY, '1'); } catch (e) { /* fine */ }
    }
    if (isSubscription(params, o)) return recorded(params, subscribe(params, o), stored);
    return Promise.resolve(httpFetcher(params, o)).then(function (body) {
      remember(params, body, stored);
      return body;
    });
  }

  // ---------------------------------------------------------------- editor bridge
  // Linli.run is how the guided tasks act: the operation goes into the editor (query and
  // variables), runs, and its answer shows in the result pane and the readable view.
  var editors = null;
  function EditorBridge() {
    var ctx = GraphiQL.React.useEditorContext();
    useEffect(function () { editors = ctx; });
    return null;
  }

  L.run = async function (query, variables, okText) {
    if (editors) {
      if (editors.queryEditor) editors.queryEditor.setValue(query);
      if (editors.variableEditor) editors.variableEditor.setValue(JSON.stringify(variables || {}, null, 2));
    }
    var body = await L.request(query, variables);
    if (editors && editors.responseEditor) editors.responseEditor.setValue(JSON.stringify(body, null, 2));
    L.set({ last: { query: query, variables: variables, result: body } });
    if (body.errors && body.errors.length) L.toast(L.errorText(body), 'error');
    else if (okText) L.toast(okText);
    return body;
  };

  // ---------------------------------------------------------------- sign-in bar
  var fill = null;
  L.fillSignIn = function (phone, password) { if (fill) fill(phone, password); };

  function Who(props) {
    var me = props.me;
    var roles = me.roles.map(function (g) { return L.enumLabel('Role', g.role) + '（' + g.place.name + '）'; });
    if (me.resident) roles.unshift('居民（' + me.resident.household.name + '）');
    return h('span', { className: 'lg-who', 'data-testid': 'whoami' },
      h('b', null, me.name), ' ', roles.length ? roles.join('、') : '没有角色');
  }

  function SignIn() {
    var phone = useState(''), password = useState(''), busy = useState(false);
    var st = L.useStore();
    fill = function (p, w) { phone[1](p); password[1](w); };
    function submit(e) {
      e.preventDefault();
      if (busy[0]) return;
      busy[1](true);
      L.set({ signinError: '' });
      L.request(L.LOGIN, { phone: phone[0].trim(), password: password[0] }).then(function (body) {
        busy[1](false);
        var login = body.data && body.data.login;
        if (login && login.token) {
          password[1]('');
          L.adopt(login.token).then(function () { L.toast('登录成功'); });
        } else {
          L.set({ signinError: L.errorText(body) || '登录失败' });
        }
      });
    }
    return h('form', { className: 'lg-signin', onSubmit: submit },
      h('input', { 'data-testid': 'signin-phone', type: 'tel', inputMode: 'numeric', autoComplete: 'username', placeholder: '手机号',
        'aria-label': '手机号', value: phone[0], required: true, onChange: function (e) { phone[1](e.target.value); } }),
      h('input', { 'data-testid': 'signin-password', type: 'password', autoComplete: 'current-password', placeholder: '密码',
        'aria-label': '密码', value: password[0], required: true, onChange: function (e) { password[1](e.target.value); } }),
      h('button', { type: 'submit', className: 'lg-btn lg-primary', 'data-testid': 'signin-submit', disabled: busy[0] }, '登录'),
      st.signinError ? h('span', { className: 'lg-error', role: 'alert', 'data-testid': 'signin-error' }, st.signinError) : null);
  }

  function Bar() {
    var st = L.useStore();
    return h('header', { className: 'lg-bar' },
      h('span', { className: 'lg-brand' }, '邻里'),
      st.token && st.me ? h(Who, { me: st.me }) : st.token ? h('span', { className: 'lg-who' }, '正在确认登录…') : h(SignIn),
      h('span', { className: 'lg-bar-tools' },
        st.token ? h('button', { type: 'button', className: 'lg-btn', 'data-testid': 'signout', onClick: L.signOut }, '退出') : null,
        h('button', { type: 'button', className: 'lg-btn', 'data-testid': 'text-size-down', 'aria-label': '字号变小',
          disabled: st.textSize <= 0, onClick: function () { L.setTextSize(st.textSize - 1); } }, '字−'),
        h('button', { type: 'button', className: 'lg-btn', 'data-testid': 'text-size-up', 'aria-label': '字号变大',
          disabled: st.textSize >= 4, onClick: function () { L.setTextSize(st.textSize + 1); } }, '字＋'),
        h('button', { type: 'button', className: 'lg-btn lg-primary', 'data-testid': 'guide-open', onClick: function () { L.showGuide(true); } }, '办事')));
  }

  function Toast() {
    var st = L.useStore();
    var t = st.toast;
    var shown = useState(0);
    useEffect(function () {
      if (!t) return undefined;
      shown[1](t.n);
      var timer = setTimeout(function () { shown[1](0); }, t.kind === 'error' ? 10000 : 5000);
      return function () { clearTimeout(timer); };
    }, [t && t.n]);
    if (!t) return h('div', { 'data-testid': 'toast', className: 'lg-toast lg-hidden', role: 'status' });
    // The text stays in the element after it fades, so a test (or a slow reader) can find it.
    return h('div', { 'data-testid': 'toast', role: t.kind === 'error' ? 'alert' : 'status',
      className: 'lg-toast lg-' + t.kind + (shown[0] === t.n ? '' : ' lg-hidden') }, t.text);
  }

  // ---------------------------------------------------------------- the page
  // GraphiQL 4 shows a plugin's pane only when its sidebar button is pressed (setting
  // visiblePlugin from outside selects the plugin but leaves the pane folded away), so the
  // page opens and closes the guide by pressing that button, and learns what is shown from
  // onTogglePluginVisibility.
  var guideShown = false;
  function guideButton() {
    var buttons = document.querySelectorAll('.graphiql-sidebar button[aria-label]');
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].getAttribute('aria-label').indexOf(L.guidePlugin.title) >= 0) return buttons[i];
    }
    return null;
  }
  L.showGuide = function (open) {
    if (open === guideShown) return;
    var b = guideButton();
    if (b) b.click();
  };
  function onToggle(p) {
    guideShown = !!p && p.title === L.guidePlugin.title;
    document.body.classList.toggle('lg-guide-visible', guideShown);
    // CodeMirror measures itself when shown; on a phone the editors were hidden under the guide.
    setTimeout(function () {
      ['queryEditor', 'variableEditor', 'headerEditor', 'responseEditor'].forEach(function (k) {
        if (editors && editors[k] && editors[k].refresh) editors[k].refresh();
      });
    }, 0);
  }

  function App() {
    var st = L.useStore();
    var plugins = useMemo(function () { return [L.guidePlugin]; }, []);
    useEffect(function () {
      document.documentElement.className = 'lg-size-' + st.textSize;
    }, [st.textSize]);
    useEffect(function () {
      // The guide opens by default for anyone signed out and for anyone who has not run
      // GraphQL by hand here (a developer); after that it stays as the user leaves it.
      var developer = false;
      try { developer = !!window.localStorage.getItem(DEVELOPER_KEY); } catch (e) { /* fine */ }
      if (!developer || !L.get().token) {
        var tries = 0;
        var timer = setInterval(function () {
          if (guideButton() || ++tries > 50) {
            clearInterval(timer);
            L.showGuide(true);
          }
        }, 50);
        return function () { clearInterval(timer); };
      }
      return undefined;
    }, []);
    return h('div', { className: 'lg-app' },
      h(Bar),
      h('div', { className: 'lg-graphiql' },
        h(GraphiQL, {
          fetcher: fetcher,
          defaultQuery: DEFAULT_QUERY,
          isHeadersEditorEnabled: true,
          shouldPersistHeaders: true,
          inputValueDeprecation: true,
          plugins: plugins,
          onTogglePluginVisibility: onToggle
        },
        h(GraphiQL.Footer, null, h(EditorBridge), h(L.Readable || 'span')))),
      h(Toast));
  }

  ReactDOM.createRoot(root).render(h(App));
  if (L.translateUI) L.translateUI(document.body);
  L.loadSchema();
  L.refreshMe();
})();
