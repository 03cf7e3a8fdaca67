// Proves that check-breaking.mjs refuses what it must and passes what it should, on copies
// of the printed schema changed here, so that a check which passes everything fails CI.
// Usage: node prove-breaking.mjs <printed schema> <schema/released.graphql> <CHANGELOG.md> <work folder>
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse, print, visit, Kind } from 'graphql';

const [printed, released, changelog, work] = process.argv.slice(2);
if (!work) {
  console.error('usage: node prove-breaking.mjs <printed schema> <released snapshot> <CHANGELOG.md> <work folder>');
  process.exit(2);
}
const check = join(dirname(fileURLToPath(import.meta.url)), 'check-breaking.mjs');
const sdl = readFileSync(printed, 'utf8');

// edit returns the printed schema with Query's fields changed by f.
const edit = (f) =>
  print(
    visit(parse(sdl), {
      ObjectTypeDefinition(node) {
        return node.name.value === 'Query' ? { ...node, fields: f(node.fields) } : undefined;
      },
    }),
  );
const withoutWishFeed = edit((fields) => fields.filter((d) => d.name.value !== 'wishFeed'));
const withAddition = edit((fields) => [...fields, parse('type Q { proofAdded: Int }').definitions[0].fields[0]]);
const deprecatedWishFeed = edit((fields) =>
  fields.map((d) =>
    d.name.value !== 'wishFeed'
      ? d
      : { ...d, directives: [...d.directives, parse('type Q { f: Int @deprecated(reason: "用 wishes") }').definitions[0].fields[0].directives[0]] },
  ),
);
const file = (name, text) => {
  const p = join(work, name);
  writeFileSync(p, text);
  return p;
};
const realChangelog = readFileSync(changelog, 'utf8');
const declaring = file('CHANGELOG-declared.md', realChangelog.replace(/^## Unreleased[^\n]*\n/m, (h) => `${h}\n- Breaking: \`Query.wishFeed\` removed (proof).\n`));

let failed = 0;
const expect = (what, wantOK, args, mustSay) => {
  const r = spawnSync(process.execPath, [check, ...args], { encoding: 'utf8' });
  const out = r.stdout + r.stderr;
  const ok = r.status === 0;
  if (ok !== wantOK || (mustSay && !out.includes(mustSay))) {
    failed++;
    console.error(`FAIL ${what}: want ${wantOK ? 'pass' : 'refusal'}${mustSay ? ` naming ${mustSay}` : ''}, got exit ${r.status}:\n${out}`);
  } else {
    console.log(`ok   ${what}: ${wantOK ? 'passes' : 'refused'}`);
  }
};
const removed = file('without-wishFeed.graphql', withoutWishFeed);
expect('Query.wishFeed removed, nothing declared', false, [removed, released, changelog], '`Query.wishFeed`');
expect('Query.proofAdded added', true, [file('with-addition.graphql', withAddition), released, changelog]);
const base = file('base-deprecated.graphql', deprecatedWishFeed);
expect('removal declared: deprecated before, snapshot updated, in the changelog', true, [removed, removed, declaring, base]);
expect('snapshot updated but the changelog silent', false, [removed, removed, changelog, base], 'Unreleased');
expect('snapshot updated, in the changelog, but never deprecated', false, [removed, removed, declaring, printed], 'deprecated');
if (failed > 0) {
  process.exit(1);
}
console.log('check-breaking.mjs refuses undeclared breaking changes and passes declared and additive ones');
