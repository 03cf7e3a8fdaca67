// GraphiQL's own words in Chinese. GraphiQL 4 has no props for its labels (only plugin
// titles are ours to choose), so a MutationObserver replaces the English strings it renders,
// in text, aria-label, title and placeholder, with the Chinese below. Only exact, known
// strings are replaced, so the editors' contents (GraphQL, JSON) are never touched; React
// writing a label back in English is caught by the same observer.
(function () {
  'use strict';

  var WORDS = {
    'Variables': '变量',
    'Headers': '请求头',
    'Execute query (Ctrl-Enter)': '运行（Ctrl-Enter）',
    'Stop query (Ctrl-Enter)': '停止（Ctrl-Enter）',
    'Prettify query (Shift-Ctrl-P)': '整理格式（Shift-Ctrl-P）',
    'Merge fragments into query (Shift-Ctrl-M)': '把片段合并进查询（Shift-Ctrl-M）',
    'Copy query (Shift-Ctrl-C)': '复制查询（Shift-Ctrl-C）',
    'Show editor tools': '显示变量和请求头',
    'Hide editor tools': '收起变量和请求头',
    'Show Documentation Explorer': '显示接口文档',
    'Hide Documentation Explorer': '收起接口文档',
    'Documentation Explorer': '接口文档',
    'Show History': '显示历史记录',
    'Hide History': '收起历史记录',
    'History': '历史记录',
    'Show 办事': '打开“办事”',
    'Hide 办事': '收起“办事”',
    'Re-fetch GraphQL schema': '重新读取接口结构',
    'Open short keys dialog': '快捷键',
    'Open settings dialog': '设置',
    'Settings': '设置',
    'Short Keys': '快捷键',
    'Short Key': '快捷键',
    'Function': '功能',
    'Search in editor': '在编辑器中查找',
    'Search in documentation': '在文档中查找',
    'Execute query': '运行查询',
    'Prettify editors': '整理格式',
    'Merge fragments definitions into operation definition': '把片段合并进操作',
    'Copy query': '复制查询',
    'Re-fetch schema using introspection': '重新读取接口结构',
    'CodeMirror Key Maps': '编辑器快捷键',
    'Theme': '主题',
    'Adjust how the interface appears.': '界面的外观。',
    'System': '跟随系统',
    'Light': '浅色',
    'Dark': '深色',
    'Persist headers': '保存请求头',
    'Only enable if you trust this device.': '只在自己的设备上打开。',
    'On': '开',
    'Off': '关',
    'Clear storage': '清除本地数据',
    'Remove all locally stored data and start fresh.': '删除本浏览器保存的调试台数据，重新开始。',
    'Clear data': '清除数据',
    'Cleared data': '已清除',
    'Failed': '失败',
    'Close dialog': '关闭',
    'New tab': '新标签页',
    'Close Tab': '关闭标签页',
    'Query Editor': '查询编辑器',
    'Result Window': '结果',
    'Editor Commands': '编辑器命令',
    'Select active operation': '选择要运行的操作',
    'Root Types': '根类型',
    'Fields': '字段',
    'Deprecated Fields': '已弃用的字段',
    'Arguments': '参数',
    'Deprecated Arguments': '已弃用的参数',
    'Enum Values': '枚举值',
    'Deprecated Enum Values': '已弃用的枚举值',
    'Implements': '实现',
    'Type': '类型',
    'Directives': '指令',
    'Suggestions': '建议',
    'Show Deprecated Fields': '显示已弃用的字段',
    'Show Deprecated Arguments': '显示已弃用的参数',
    'Show Deprecated Values': '显示已弃用的值',
    'Deprecated': '已弃用',
    'No results found': '没有找到',
    'Other results': '其他结果',
    'No GraphQL schema available': '还没有读取到接口结构',
    'Error fetching schema': '读取接口结构出错',
    'Set active': '设为当前',
    'Edit label': '改名',
    'Delete from history': '从历史记录中删除',
    'Type a label': '输入名称',
    'Save': '保存',
    'Clear': '清空',
    'Automatically added leaf fields': '自动补上了字段'
  };
  // Patterns for labels GraphiQL builds from a name.
  var PATTERNS = [
    [/^Search (.+)\.\.\.$/, '在 $1 中查找…'],
    [/^Go back to (.+)$/, '返回 $1']
  ];

  function translate(s) {
    if (!s) return null;
    var t = s.trim();
    if (Object.prototype.hasOwnProperty.call(WORDS, t)) return s.replace(t, WORDS[t]);
    for (var i = 0; i < PATTERNS.length; i++) {
      if (PATTERNS[i][0].test(t)) return s.replace(t, t.replace(PATTERNS[i][0], PATTERNS[i][1]));
    }
    return null;
  }

  var ATTRS = ['aria-label', 'title', 'placeholder'];

  function inEditor(node) {
    var el = node.nodeType === 1 ? node : node.parentElement;
    return !!(el && el.closest && el.closest('.CodeMirror, .lg-guide, .lg-bar, .lg-readable'));
  }

  function fixElement(el) {
    ATTRS.forEach(function (a) {
      var v = el.getAttribute(a);
      var t = v && translate(v);
      if (t) el.setAttribute(a, t);
    });
  }

  function fixTree(node) {
    if (inEditor(node)) return;
    if (node.nodeType === 3) {
      var t = translate(node.nodeValue);
      if (t) node.nodeValue = t;
      return;
    }
    if (node.nodeType !== 1) return;
    fixElement(node);
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
      acceptNode: function (n) {
        if (n.nodeType === 1 && n.classList && (n.classList.contains('CodeMirror') || n.classList.contains('lg-guide') ||
            n.classList.contains('lg-bar') || n.classList.contains('lg-readable'))) return NodeFilter.FILTER_REJECT;
        return NodeFilter.FILTER_ACCEPT;
      }
    });
    for (var n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.nodeType === 3) {
        var tt = translate(n.nodeValue);
        if (tt) n.nodeValue = tt;
      } else {
        fixElement(n);
      }
    }
  }

  var observer = new MutationObserver(function (records) {
    records.forEach(function (r) {
      if (r.type === 'childList') r.addedNodes.forEach(fixTree);
      else if (r.type === 'characterData') fixTree(r.target);
      else if (r.type === 'attributes') { if (!inEditor(r.target)) fixElement(r.target); }
    });
  });

  window.Linli.translateUI = function (el) {
    fixTree(el);
    observer.observe(el, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRS });
  };
  window.Linli.uiWords = WORDS;
})();
