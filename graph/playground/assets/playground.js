// Starts GraphiQL on the playground page. The page carries the endpoint in data-endpoint on
// #graphiql; everything else lives here so the page needs no inline script.
(function () {
  'use strict';

  var DEFAULT_QUERY = [
    '# 欢迎使用 linli 邻里 GraphQL 调试台。',
    '#',
    '# 第一步：登录。点右边的运行按钮（▶），选 Login。',
    '#   演示志愿者账号：手机号 13800000002，密码 linli2026。',
    '#',
    '# 第二步：复制返回的 token，贴到下方 Headers（请求头）标签页',
    '#   "Bearer " 的后面：{"Authorization": "Bearer <token>"}',
    '#   请求头保存在本浏览器里，刷新页面后仍然有效。',
    '#',
    '# 第三步：再点运行按钮，选 Me，看看自己是谁、在哪里担任什么角色。',
    '#',
    '# 第四步（实时更新）：选 Board，订阅心愿广场；在另一个标签页里发布或认领心愿，',
    '#   这里会即时出现变化。点停止按钮结束订阅。',
    '',
    'mutation Login {',
    '  login(phone: "13800000002", password: "linli2026") {',
    '    token',
    '    expiresAt',
    '  }',
    '}',
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

  var DEFAULT_HEADERS = '{\n  "Authorization": "Bearer "\n}';

  var root = document.getElementById('graphiql');
  if (typeof window.GraphiQL !== 'function' || !window.React || !window.ReactDOM) {
    root.textContent = '调试台加载失败，请刷新页面重试。';
    return;
  }

  var endpoint = new URL(root.getAttribute('data-endpoint') || '/query', window.location.href).href;
  var httpFetcher = GraphiQL.createFetcher({ url: endpoint });

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
      var res = await fetch(endpoint, {
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

  function fetcher(params, opts) {
    return isSubscription(params, opts) ? subscribe(params, opts) : httpFetcher(params, opts);
  }

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultHeaders: DEFAULT_HEADERS,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: 'headers',
      inputValueDeprecation: true
    })
  );
})();
