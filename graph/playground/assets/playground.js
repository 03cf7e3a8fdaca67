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
    ''
  ].join('\n');

  var DEFAULT_HEADERS = '{\n  "Authorization": "Bearer "\n}';

  var root = document.getElementById('graphiql');
  if (typeof window.GraphiQL !== 'function' || !window.React || !window.ReactDOM) {
    root.textContent = '调试台加载失败，请刷新页面重试。';
    return;
  }

  var endpoint = new URL(root.getAttribute('data-endpoint') || '/query', window.location.href).href;
  var fetcher = GraphiQL.createFetcher({ url: endpoint });

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
