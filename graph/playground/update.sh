#!/usr/bin/env bash
# Re-fetches the pinned GraphiQL and React browser bundles with `npm pack` and copies the
# files the playground serves into assets/. Run it by hand after changing a version below;
# CI does not run it. The playground's own files (playground*.js, playground.css) are left alone.
#
# GraphiQL 4.1.x is the last line whose package ships a browser (UMD) bundle that works with
# plain <script> tags (5.x dropped it); React 18.x is the last that ships UMD builds
# (React 19 dropped them), and GraphiQL 4 accepts React 18.
set -euo pipefail

GRAPHIQL_VERSION=4.1.2
REACT_VERSION=18.3.1

pkg=$(cd "$(dirname "$0")" && pwd)
assets=$pkg/assets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
for spec in "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION"; do
  name=${spec%@*}
  file=$(npm pack --silent "$spec" | tail -n 1)
  mkdir "$name"
  tar -xzf "$file" -C "$name"
done

# The files are kept byte for byte as published (graphiql.min.js still names a source map that
# is not served: only an open developer console asks for it).
mkdir -p "$assets"
install -m 0644 graphiql/package/graphiql.min.js "$assets/graphiql.min.js"
install -m 0644 graphiql/package/graphiql.min.css "$assets/graphiql.min.css"
install -m 0644 graphiql/package/LICENSE "$assets/graphiql-LICENSE.txt"
install -m 0644 react/package/umd/react.production.min.js "$assets/react.production.min.js"
install -m 0644 react/package/LICENSE "$assets/react-LICENSE.txt"
install -m 0644 react-dom/package/umd/react-dom.production.min.js "$assets/react-dom.production.min.js"
install -m 0644 react-dom/package/LICENSE "$assets/react-dom-LICENSE.txt"

# GraphiQL's menus and dialogs lock page scrolling by adding a small <style> element (from
# react-remove-scroll-bar). The page's Content-Security-Policy allows that one stylesheet by
# its hash and no other inline style: write the text it adds on this page (no scroll bar, no
# body margin, so every gap is 0) to inline-style.css, which playground.go hashes.
node - graphiql/package/graphiql.min.js >inline-style.css <<'JS'
const src = require('fs').readFileSync(process.argv[2], 'utf8');
// The function that writes the stylesheet, found by its first statement.
const m = /=(function\(e,t,n,r\)\{var i=e\.left,o=e\.top,s=e\.right,a=e\.gap;[\s\S]*?\}),\w+=function\(\)\{var e=parseInt\(document\.body\.getAttribute/.exec(src);
if (!m) {
  console.error("update.sh: GraphiQL's scroll-lock stylesheet was not found; check the page's style-src by hand");
  process.exit(1);
}
const fn = m[1];
// It names two class names and an attribute through short variables: bind them.
const scope = {};
for (const [, v] of fn.matchAll(/concat\(([A-Za-z_$][\w$]*)[,)]/g)) {
  const def = new RegExp('[,;\\s]' + v.replace('$', '\\$') + '="([^"]*)"').exec(src);
  if (def) scope[v] = def[1];
}
const css = new Function(...Object.keys(scope), 'return (' + fn + ')')(...Object.values(scope))(
  { left: 0, top: 0, right: 0, gap: 0 }, true, 'margin', '!important');
if (!css.includes('with-scroll-bars-hidden')) {
  console.error('update.sh: unexpected scroll-lock stylesheet');
  process.exit(1);
}
process.stdout.write(css);
JS
install -m 0644 inline-style.css "$pkg/inline-style.css"

cd "$assets"
{
  echo "graphiql $GRAPHIQL_VERSION"
  echo "react $REACT_VERSION"
  echo "react-dom $REACT_VERSION"
  echo
  sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js
} >VERSIONS.txt

ls -l
du -ch -- * | tail -n 1
