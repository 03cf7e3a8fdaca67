// The guided tasks (办事): a GraphiQL plugin that lets a volunteer, a resident, a grid worker
// or community staff do their work with buttons, in Chinese. Every button runs a real GraphQL
// operation through Linli.run, which also puts it (query and variables) into GraphiQL's
// editor and its answer into the result pane, so anyone curious sees how the API does it.
(function () {
  'use strict';

  var L = window.Linli;
  var h = L.h;
  var useState = React.useState, useEffect = React.useEffect, useCallback = React.useCallback;

  // ---------------------------------------------------------------- operations
  var CARD = 'fragment WishCard on Wish {\n  id\n  title\n  description\n  category\n  state\n  deadline\n' +
    '  address\n  beneficiaryName\n  beneficiaryPhone\n  canClaim\n  rating\n  closingReason\n' +
    '  claim { active dueAt claimer { name } }\n  fulfilment { note hours }\n}';
  function withCard(op) { return op + '\n\n' + CARD; }

  var OPS = {
    board: withCard('query WishBoard {\n  wishFeed(first: 30) {\n    totalCount\n    nodes { ...WishCard }\n  }\n}'),
    mine: withCard('query MyClaims {\n  myClaims(first: 30) {\n    nodes { ...WishCard }\n  }\n' +
      '  volunteerRecord {\n    totalHours\n    totalPoints\n    wishesCompleted\n  }\n}'),
    myWishes: withCard('query MyWishes {\n  myWishes(first: 30) {\n    nodes { ...WishCard }\n  }\n}'),
    toConfirm: withCard('query WishesToConfirm {\n  wishes(filter: { state: [FULFILLED] }, orderBy: DEADLINE, first: 30) {\n' +
      '    nodes { ...WishCard }\n  }\n}'),
    review: withCard('query ReviewQueue {\n  wishQueue(kind: REVIEW, first: 30) {\n    totalCount\n    nodes { ...WishCard }\n  }\n}'),
    residents: 'query Residents($placeId: ID!) {\n  residents(placeId: $placeId, filter: { verified: true }, first: 100) {\n' +
      '    nodes { id name household { name } }\n  }\n}',
    claim: withCard('mutation Claim($wishId: ID!) {\n  claimWish(wishId: $wishId) { ...WishCard }\n}'),
    release: withCard('mutation Release($wishId: ID!, $reason: String) {\n  releaseWish(wishId: $wishId, reason: $reason) { ...WishCard }\n}'),
    fulfil: withCard('mutation Fulfil($input: FulfilWishInput!) {\n  fulfilWish(input: $input) { ...WishCard }\n}'),
    confirm: withCard('mutation Confirm($wishId: ID!, $rating: Int!, $comment: String) {\n' +
      '  confirmWish(wishId: $wishId, rating: $rating, comment: $comment) { ...WishCard }\n}'),
    submit: withCard('mutation SubmitWish($input: SubmitWishInput!) {\n  submitWish(input: $input) { ...WishCard }\n}'),
    reviewWish: withCard('mutation Review($wishId: ID!, $decision: ReviewDecision!, $reason: String) {\n' +
      '  reviewWish(wishId: $wishId, decision: $decision, reason: $reason) { ...WishCard }\n}')
  };
  L.OPS = OPS;

  // ---------------------------------------------------------------- pieces
  // useLoad runs a query when the tab shows and again on reload(); quietly, without touching
  // the editor, so the editor keeps showing the last action.
  function useLoad(query, variables, pick) {
    var s = useState({ loading: true, data: null, error: '' });
    var key = JSON.stringify(variables || null);
    var reload = useCallback(function () {
      if (variables === false) return Promise.resolve();
      return L.request(query, variables).then(function (body) {
        s[1]({ loading: false, data: body.data ? pick(body.data) : null, error: L.errorText(body) });
      });
    }, [query, key]); // eslint-disable-line
    useEffect(function () { reload(); }, [reload]);
    return [s[0], reload];
  }

  function Button(props) {
    var p = Object.assign({ type: 'button' }, props);
    p.className = 'lg-btn' + (props.className ? ' ' + props.className : '');
    return h('button', p);
  }

  // Busy wraps an action so its button can't be pressed twice while it runs.
  function useBusy() {
    var s = useState(false);
    return [s[0], function (f) {
      if (s[0]) return;
      s[1](true);
      Promise.resolve().then(f).finally(function () { s[1](false); });
    }];
  }

  function Field(props) {
    return h('label', { className: 'lg-field' }, h('span', null, props.label), props.children);
  }

  function WishCard(props) {
    var w = props.wish;
    return h('article', { className: 'lg-card', 'data-testid': 'wish-card', 'data-wish-id': w.id, 'data-state': w.state },
      h('h3', null, w.title),
      h('p', { className: 'lg-tags' },
        h('span', { className: 'lg-tag' }, L.enumLabel('WishCategory', w.category)),
        h('span', { className: 'lg-tag lg-state-' + w.state, 'data-testid': 'wish-state' }, L.enumLabel('WishState', w.state))),
      h('dl', null,
        h('dt', null, '截止'), h('dd', null, L.fmtTime(w.deadline)),
        h('dt', null, '地点'), h('dd', null, w.address),
        h('dt', null, '受益人'), h('dd', null, w.beneficiaryName + (w.beneficiaryPhone ? '　' + w.beneficiaryPhone : '')),
        w.claim && w.claim.active ? [h('dt', { key: 'a' }, '需在此前完成'), h('dd', { key: 'b', 'data-testid': 'due-at' }, L.fmtTime(w.claim.dueAt))] : null,
        w.claim && !props.hideClaimer ? [h('dt', { key: 'c' }, '认领人'), h('dd', { key: 'd' }, w.claim.claimer.name)] : null,
        w.fulfilment ? [h('dt', { key: 'e' }, '完成情况'), h('dd', { key: 'f' }, w.fulfilment.note + '（' + w.fulfilment.hours + ' 小时）')] : null,
        w.rating ? [h('dt', { key: 'g' }, '评价'), h('dd', { key: 'i' }, '★'.repeat(w.rating))] : null,
        w.closingReason ? [h('dt', { key: 'j' }, '原因'), h('dd', { key: 'k' }, w.closingReason)] : null),
      h('p', { className: 'lg-desc' }, w.description),
      props.children);
  }

  function List(props) {
    var st = props.state;
    if (st.loading) return h('p', { className: 'lg-note' }, '正在加载…');
    if (st.error) return h('p', { className: 'lg-error' }, st.error);
    if (!st.data || !st.data.length) return h('p', { className: 'lg-note' }, props.empty);
    return h('div', { className: 'lg-cards' }, st.data.map(props.render));
  }

  // ---------------------------------------------------------------- volunteer
  function ClaimButtons(props) {
    var w = props.wish;
    var busy = useBusy();
    var fulfilling = useState(false);
    var note = useState(''), hours = useState('1');
    var done = props.done;
    var buttons = [];
    if (w.canClaim) {
      buttons.push(h(Button, {
        key: 'claim', 'data-testid': 'claim', className: 'lg-primary', disabled: busy[0],
        onClick: function () {
          busy[1](function () {
            return L.run(OPS.claim, { wishId: w.id }, '').then(function (b) {
              if (b.data && b.data.claimWish) {
                L.toast('认领成功，请在 ' + L.fmtTime(b.data.claimWish.claim.dueAt) + ' 之前完成');
              }
              done();
            });
          });
        }
      }, '认领'));
    }
    if (w.state === 'CLAIMED' && w.claim && w.claim.active && props.mine) {
      buttons.push(h(Button, {
        key: 'fulfil', 'data-testid': 'fulfil', className: 'lg-primary',
        onClick: function () { fulfilling[1](!fulfilling[0]); }
      }, '完成'));
      buttons.push(h(Button, {
        key: 'release', 'data-testid': 'release', disabled: busy[0],
        onClick: function () {
          busy[1](function () { return L.run(OPS.release, { wishId: w.id, reason: null }, '已放弃，心愿回到心愿墙').then(done); });
        }
      }, '放弃'));
    }
    return h('div', null,
      buttons.length ? h('div', { className: 'lg-actions' }, buttons) : null,
      fulfilling[0] ? h('form', {
        className: 'lg-form',
        onSubmit: function (e) {
          e.preventDefault();
          busy[1](function () {
            var input = { wishId: w.id, note: note[0].trim(), hours: parseFloat(hours[0]) };
            return L.run(OPS.fulfil, { input: input }, '已报告完成，等待受益人确认').then(function (b) {
              if (!b.errors) fulfilling[1](false);
              done();
            });
          });
        }
      },
      h(Field, { label: '做了什么' }, h('textarea', { 'data-testid': 'fulfil-note', value: note[0], rows: 3, required: true,
        placeholder: '例如：轮椅已送到家中', onChange: function (e) { note[1](e.target.value); } })),
      h(Field, { label: '用了几小时' }, h('input', { 'data-testid': 'fulfil-hours', type: 'number', inputMode: 'decimal',
        min: '0.25', max: '24', step: '0.25', value: hours[0], required: true, onChange: function (e) { hours[1](e.target.value); } })),
      h(Button, { type: 'submit', 'data-testid': 'fulfil-submit', className: 'lg-primary', disabled: busy[0] }, '提交完成报告')) : null);
  }

  function Board(props) {
    var s = useLoad(OPS.board, null, function (d) { return d.wishFeed.nodes; });
    useEffect(function () { return L.onChange(s[1]); }, [s[1]]);
    return h('section', null,
      h('p', { className: 'lg-note' }, '这些心愿正在等人认领，最紧急的在前。认领后请在期限内完成。'),
      h(Button, { 'data-testid': 'board-refresh', onClick: function () { L.run(OPS.board, {}, '').then(s[1]); } }, '刷新'),
      h(List, { state: s[0], empty: '现在没有可以认领的心愿。', render: function (w) {
        return h(WishCard, { key: w.id, wish: w }, h(ClaimButtons, { wish: w, done: L.changed }));
      } }));
  }

  function Mine() {
    var rec = useState(null);
    var s = useLoad(OPS.mine, null, function (d) { rec[1](d.volunteerRecord); return d.myClaims.nodes; });
    useEffect(function () { return L.onChange(s[1]); }, [s[1]]);
    var r = rec[0];
    return h('section', null,
      h('div', { className: 'lg-record' },
        h('div', null, h('b', { 'data-testid': 'my-hours' }, (r ? r.totalHours : 0) + ' 小时'), h('span', null, '服务时长')),
        h('div', null, h('b', { 'data-testid': 'my-points' }, (r ? r.totalPoints : 0) + ' 积分'), h('span', null, '积分')),
        h('div', null, h('b', null, (r ? r.wishesCompleted : 0) + ' 件'), h('span', null, '已完成'))),
      h(List, { state: s[0], empty: '还没有认领过心愿。去“心愿墙”看看吧。', render: function (w) {
        return h(WishCard, { key: w.id, wish: w, hideClaimer: true }, h(ClaimButtons, { wish: w, mine: true, done: L.changed }));
      } }));
  }

  // ---------------------------------------------------------------- residents and grid workers
  function ConfirmForm(props) {
    var w = props.wish;
    var open = useState(false), rating = useState(5), comment = useState('');
    var busy = useBusy();
    if (!open[0]) {
      return h('div', { className: 'lg-actions' },
        h(Button, { 'data-testid': 'confirm', className: 'lg-primary', onClick: function () { open[1](true); } }, '确认完成'));
    }
    return h('form', {
      className: 'lg-form',
      onSubmit: function (e) {
        e.preventDefault();
        busy[1](function () {
          var vars = { wishId: w.id, rating: rating[0], comment: comment[0].trim() || null };
          return L.run(OPS.confirm, vars, '已确认完成，谢谢您的评价').then(L.changed);
        });
      }
    },
    h('div', { className: 'lg-field' }, h('span', null, '满意吗？（1–5 星）'),
      h('div', { className: 'lg-stars', role: 'radiogroup' }, [1, 2, 3, 4, 5].map(function (n) {
        return h(Button, { key: n, 'data-testid': 'rating-' + n, role: 'radio', 'aria-checked': rating[0] === n,
          className: rating[0] >= n ? 'lg-star lg-on' : 'lg-star', onClick: function () { rating[1](n); } }, '★');
      }))),
    h(Field, { label: '想说的话（可不填）' }, h('textarea', { 'data-testid': 'confirm-comment', rows: 2, value: comment[0],
      onChange: function (e) { comment[1](e.target.value); } })),
    h(Button, { type: 'submit', 'data-testid': 'confirm-submit', className: 'lg-primary', disabled: busy[0] }, '确认'));
  }

  function Confirm(props) {
    var me = props.me;
    var forOthers = L.hasRole(me, ['GRID_WORKER', 'STAFF']);
    var s = useLoad(forOthers ? OPS.toConfirm : OPS.myWishes, null, function (d) {
      return (d.wishes || d.myWishes).nodes.filter(function (w) { return w.state === 'FULFILLED'; });
    });
    useEffect(function () { return L.onChange(s[1]); }, [s[1]]);
    return h('section', null,
      h('p', { className: 'lg-note' }, forOthers ? '已报告完成、等待确认的心愿（可代居民确认）。' : '志愿者已经报告完成的心愿，请确认并打分。'),
      h(List, { state: s[0], empty: '没有等待确认的心愿。', render: function (w) {
        return h(WishCard, { key: w.id, wish: w }, h(ConfirmForm, { wish: w }));
      } }));
  }

  // The form starts at 18:00 (Beijing) three days from now: a round time, well inside the 90 days.
  function inThreeDays() { return L.beijingInput(new Date(Date.now() + 3 * 24 * 3600 * 1000)).slice(0, 11) + '18:00'; }

  function WishForm(props) {
    var title = useState(''), desc = useState(''), cat = useState('OTHER'), deadline = useState(inThreeDays());
    var busy = useBusy();
    var cats = L.enumValues('WishCategory');
    return h('form', {
      className: 'lg-form',
      onSubmit: function (e) {
        e.preventDefault();
        if (props.needBeneficiary && !props.beneficiaryId) {
          L.toast('请先选择为谁代办', 'error');
          return;
        }
        busy[1](function () {
          var input = {
            category: cat[0], title: title[0].trim(), description: desc[0].trim(),
            deadline: L.fromBeijingInput(deadline[0]), idempotencyKey: 'pg-' + Date.now() + '-' + Math.random().toString(36).slice(2, 8)
          };
          if (props.beneficiaryId) input.beneficiaryId = props.beneficiaryId;
          return L.run(OPS.submit, { input: input }, '心愿已提交，等待社区审核').then(function (b) {
            if (!b.errors) { title[1](''); desc[1](''); }
            L.changed();
          });
        });
      }
    },
    props.children,
    h(Field, { label: '想要什么（标题）' }, h('input', { 'data-testid': 'wish-title', value: title[0], maxLength: 40, required: true,
      placeholder: '例如：想要一台轮椅', onChange: function (e) { title[1](e.target.value); } })),
    h(Field, { label: '详细说说' }, h('textarea', { 'data-testid': 'wish-description', rows: 3, value: desc[0], required: true,
      onChange: function (e) { desc[1](e.target.value); } })),
    h(Field, { label: '类别' }, h('select', { 'data-testid': 'wish-category', value: cat[0], onChange: function (e) { cat[1](e.target.value); } },
      cats.map(function (c) { return h('option', { key: c, value: c }, L.enumLabel('WishCategory', c)); }))),
    h(Field, { label: '希望在什么时候之前（北京时间）' }, h('input', { 'data-testid': 'wish-deadline', type: 'datetime-local', value: deadline[0],
      required: true, onChange: function (e) { deadline[1](e.target.value); } })),
    h(Button, { type: 'submit', 'data-testid': 'wish-submit', className: 'lg-primary', disabled: busy[0] }, '提交心愿'));
  }

  function Submit() {
    var s = useLoad(OPS.myWishes, null, function (d) { return d.myWishes.nodes; });
    useEffect(function () { return L.onChange(s[1]); }, [s[1]]);
    return h('section', null,
      h('p', { className: 'lg-note' }, '说说您需要什么帮助，社区审核后志愿者就能看到并认领。'),
      h(WishForm, {}),
      h('h3', { className: 'lg-sub' }, '我的心愿'),
      h(List, { state: s[0], empty: '还没有提过心愿。', render: function (w) {
        return h(WishCard, { key: w.id, wish: w }, w.state === 'FULFILLED' ? h(ConfirmForm, { wish: w }) : null);
      } }));
  }

  function Proxy(props) {
    var grant = props.me.roles.filter(function (g) { return g.role === 'GRID_WORKER' || g.role === 'STAFF'; })[0];
    var who = useState('');
    var s = useLoad(OPS.residents, grant ? { placeId: grant.place.id } : false, function (d) { return d.residents.nodes; });
    var people = s[0].data || [];
    return h('section', null,
      h('p', { className: 'lg-note' }, '为不用手机的居民代为提交心愿（代办）。提交后由社区审核。'),
      h(WishForm, { beneficiaryId: who[0], needBeneficiary: true },
        h(Field, { label: '为谁代办' }, h('select', { 'data-testid': 'proxy-beneficiary', value: who[0], required: true,
          onChange: function (e) { who[1](e.target.value); } },
          h('option', { value: '' }, s[0].loading ? '正在加载…' : '请选择居民'),
          people.map(function (p) { return h('option', { key: p.id, value: p.id }, p.name + '（' + p.household.name + '）'); })))));
  }

  // ---------------------------------------------------------------- staff
  function ReviewButtons(props) {
    var w = props.wish;
    var busy = useBusy();
    var rejecting = useState(false), reason = useState('');
    function review(decision, why, ok) {
      busy[1](function () {
        return L.run(OPS.reviewWish, { wishId: w.id, decision: decision, reason: why }, ok).then(L.changed);
      });
    }
    return h('div', null,
      h('div', { className: 'lg-actions' },
        h(Button, { 'data-testid': 'publish', className: 'lg-primary', disabled: busy[0],
          onClick: function () { review('PUBLISH', null, '已发布，志愿者现在可以认领'); } }, '发布'),
        h(Button, { 'data-testid': 'reject', onClick: function () { rejecting[1](!rejecting[0]); } }, '驳回')),
      rejecting[0] ? h('form', { className: 'lg-form', onSubmit: function (e) { e.preventDefault(); review('REJECT', reason[0].trim(), '已驳回，原因会告诉受益人'); } },
        h(Field, { label: '驳回原因（会告诉受益人）' }, h('textarea', { 'data-testid': 'reject-reason', rows: 2, required: true, value: reason[0],
          onChange: function (e) { reason[1](e.target.value); } })),
        h(Button, { type: 'submit', 'data-testid': 'reject-submit', disabled: busy[0] }, '确认驳回')) : null);
  }

  function Review() {
    var s = useLoad(OPS.review, null, function (d) { return d.wishQueue.nodes; });
    useEffect(function () { return L.onChange(s[1]); }, [s[1]]);
    return h('section', null,
      h('p', { className: 'lg-note' }, '等待审核的心愿，最早提交的在前。发布后志愿者才能看到。'),
      h(List, { state: s[0], empty: '没有等待审核的心愿。', render: function (w) {
        return h(WishCard, { key: w.id, wish: w }, h(ReviewButtons, { wish: w }));
      } }));
  }

  // ---------------------------------------------------------------- the panel
  // Any change made here reloads every list on show (the lists are few and small).
  var changeListeners = new Set();
  L.onChange = function (f) {
    changeListeners.add(f);
    return function () { changeListeners.delete(f); };
  };
  L.changed = function () { changeListeners.forEach(function (f) { f(); }); };

  var TABS = [
    { id: 'board', label: '心愿墙', view: Board, shows: function (me) { return L.hasRole(me, ['VOLUNTEER', 'PARTY_MEMBER']); } },
    { id: 'mine', label: '我的认领', view: Mine, shows: function (me) { return L.hasRole(me, ['VOLUNTEER', 'PARTY_MEMBER']); } },
    { id: 'submit', label: '提心愿', view: Submit, shows: function (me) { return !!me.resident; } },
    { id: 'confirm', label: '确认完成', view: Confirm, shows: function (me) { return !!me.resident || L.hasRole(me, ['GRID_WORKER', 'STAFF']); } },
    { id: 'proxy', label: '代办', view: Proxy, shows: function (me) { return L.hasRole(me, ['GRID_WORKER', 'STAFF']); } },
    { id: 'review', label: '审核', view: Review, shows: function (me) { return L.hasRole(me, ['GRID_WORKER', 'STAFF']); } }
  ];

  var DEMO = [
    ['13800000002', '志愿者 李志强'], ['13800000001', '居民 张秀英'],
    ['13800000004', '网格员 王丽'], ['13800000006', '社区工作者 陈静']
  ];

  function SignedOut() {
    return h('section', null,
      h('h3', null, '您好！请先登录'),
      h('p', { className: 'lg-note' }, '在页面上方填手机号和密码，点“登录”。登录一次，刷新页面或打开新标签页都还是登录状态。'),
      h('p', { className: 'lg-note' }, '想先试试？点一个演示账号（密码都是 linli2026）：'),
      h('div', { className: 'lg-actions lg-wrap' }, DEMO.map(function (d) {
        return h(Button, { key: d[0], 'data-testid': 'demo-' + d[0], onClick: function () { L.fillSignIn(d[0], 'linli2026'); } }, d[1]);
      })));
  }

  function Guide() {
    var st = L.useStore();
    var me = st.me;
    var tab = useState(null);
    var tabs = me ? TABS.filter(function (t) { return t.shows(me); }) : [];
    var current = tabs.filter(function (t) { return t.id === tab[0]; })[0] || tabs[0];
    var body;
    if (!st.token) body = h(SignedOut);
    else if (!me || !st.types) body = h('p', { className: 'lg-note' }, '正在加载…');
    else if (!current) body = h('p', { className: 'lg-note' }, '您的账号没有可在这里办理的事。可以在右边的编辑器里直接写 GraphQL。');
    else body = h(current.view, { key: current.id + st.token, me: me });
    return h('div', { className: 'lg-guide', 'data-testid': 'guide' },
      h('div', { className: 'lg-guide-head' },
        h('h2', null, '办事'),
        h(Button, { className: 'lg-to-editor', 'data-testid': 'guide-close', onClick: function () { L.showGuide(false); } }, '看 GraphQL 编辑器')),
      tabs.length ? h('nav', { className: 'lg-tabs', role: 'tablist' }, tabs.map(function (t) {
        var active = current && t.id === current.id;
        return h('button', { key: t.id, type: 'button', role: 'tab', 'aria-selected': active, 'data-testid': 'guide-tab-' + t.id,
          className: 'lg-tab' + (active ? ' lg-active' : ''), onClick: function () { tab[1](t.id); } }, t.label);
      })) : null,
      h('div', { className: 'lg-guide-body' }, body));
  }

  function GuideIcon() {
    return h('span', { className: 'lg-guide-icon', 'aria-hidden': 'true' }, '办');
  }

  L.guidePlugin = { title: '办事', icon: GuideIcon, content: Guide };
})();
