// Refuses a breaking change to the schema unless it is declared. Usage:
//   node check-breaking.mjs <printed schema> <schema/released.graphql> <CHANGELOG.md> [<released snapshot before this commit>]
//
// schema/released.graphql is the schema as printed at the last release, or as updated
// since by a commit that declared a breaking change. graphql-inspector compares schemas:
//
// 1. From the snapshot to the printed schema (what this commit serves) nothing may break:
//    additions and other safe changes pass; a breaking change fails until it is declared.
// 2. A breaking change is declared by the commit that makes it, in which
//    - schema/released.graphql is updated (go run . schema > schema/released.graphql), so
//      step 1 is clean again;
//    - CHANGELOG.md's "## Unreleased" section names every breaking change by its schema
//      coordinate in backticks, e.g. `Query.wishFeed` or `Query.wishFeed.first`, as this
//      check prints them;
//    - a field or enum value removed was deprecated (@deprecated) in the snapshot before,
//      so clients were told first.
//    Given the snapshot as it was before the commit (CI takes it from git, HEAD^), step 2
//    compares it with the updated snapshot and checks the last two points.
import { readFileSync, existsSync } from 'node:fs';
import { buildSchema } from 'graphql';
import { diff, CriticalityLevel } from '@graphql-inspector/core';

const [printedFile, releasedFile, changelogFile, baseFile] = process.argv.slice(2);
if (!printedFile || !releasedFile || !changelogFile) {
  console.error('usage: node check-breaking.mjs <printed schema> <released snapshot> <CHANGELOG.md> [<snapshot before this commit>]');
  process.exit(2);
}
const load = (f) => buildSchema(readFileSync(f, 'utf8'));
const breaking = (changes) => changes.filter((c) => c.criticality.level === CriticalityLevel.Breaking);
const show = (c) => `  ${c.criticality.level}  \`${c.path ?? ''}\`  ${c.message}`;
let failed = false;

// Step 1: the snapshot against what this commit serves.
const released = load(releasedFile);
const changes = await diff(released, load(printedFile));
const undeclared = breaking(changes);
if (undeclared.length > 0) {
  failed = true;
  console.error(`graphql-inspector: ${undeclared.length} breaking change(s) from ${releasedFile} to the printed schema, not declared:`);
  undeclared.forEach((c) => console.error(show(c)));
  console.error(`A breaking change fails every client built on the old schema. If it is meant, declare it in
the same commit: deprecate first (a removed field or enum value must carry @deprecated in a
release before), update the snapshot (go run . schema > ${releasedFile}), and name each change
above by its \`coordinate\` under "## Unreleased" in ${changelogFile}.`);
}
const others = changes.filter((c) => c.criticality.level !== CriticalityLevel.Breaking);
if (others.length > 0) {
  console.log(`graphql-inspector: ${others.length} safe or dangerous change(s) since ${releasedFile} (recorded at the next release):`);
  others.forEach((c) => console.log(show(c)));
}

// Step 2: a snapshot updated in this commit declares its breaking changes.
if (baseFile && existsSync(baseFile)) {
  const base = load(baseFile);
  const declared = breaking(await diff(base, released));
  if (declared.length > 0) {
    const changelog = readFileSync(changelogFile, 'utf8');
    // The "## Unreleased" section runs to the next second-level heading.
    const m = changelog.match(/^## Unreleased[^\n]*\n([\s\S]*?)(?=^## |(?![\s\S]))/m);
    const unreleased = m ? m[1] : '';
    if (!m) {
      console.error(`${changelogFile} has no "## Unreleased" section`);
    }
    for (const c of declared) {
      const problems = [];
      if (!unreleased.includes(`\`${c.path}\``)) {
        problems.push(`not named as \`${c.path}\` under "## Unreleased" in ${changelogFile}`);
      }
      if (c.type === 'FIELD_REMOVED' || c.type === 'ENUM_VALUE_REMOVED') {
        const [typeName, member] = c.path.split('.');
        const type = base.getType(typeName);
        const old = c.type === 'FIELD_REMOVED' ? type?.getFields?.()[member] : type?.getValue?.(member);
        if (!old?.deprecationReason) {
          problems.push('removed without being deprecated first');
        }
      }
      if (problems.length > 0) {
        failed = true;
        console.error(`${show(c)}\n    declared in ${releasedFile} but ${problems.join('; ')}`);
      } else {
        console.log(`declared breaking change:\n${show(c)}`);
      }
    }
  }
}
if (failed) {
  process.exit(1);
}
console.log(`graphql-inspector: no undeclared breaking change from ${releasedFile} to the printed schema`);
