// Validates every operation in examples/ against the printed schema with graphql-js: each
// file holds one named operation, named as the file (WishFeedQuery.graphql holds
// WishFeedQuery, which is also the name relay-compiler requires of it), ending in Query or
// Mutation. Usage: node check-examples.mjs <schema.graphql> <examples folder>
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildSchema, parse, validate, Kind } from 'graphql';

const [schemaFile, dir] = process.argv.slice(2);
if (!schemaFile || !dir) {
  console.error('usage: node check-examples.mjs <schema.graphql> <examples folder>');
  process.exit(2);
}
const schema = buildSchema(readFileSync(schemaFile, 'utf8'));
const files = readdirSync(dir).filter((f) => f.endsWith('.graphql')).sort();
if (files.length === 0) {
  console.error(`no .graphql files in ${dir}`);
  process.exit(1);
}
let failed = 0;
const fail = (file, msg) => {
  console.error(`${file}: ${msg}`);
  failed++;
};
for (const f of files) {
  const file = join(dir, f);
  let doc;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail(file, e.toString());
    continue;
  }
  const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const want = basename(f, '.graphql');
  if (ops.length !== 1 || doc.definitions.length !== 1) {
    fail(file, `want exactly one operation and nothing else, got ${doc.definitions.length} definitions`);
    continue;
  }
  const name = ops[0].name?.value;
  if (name !== want) {
    fail(file, `the operation is named ${name ?? '(nothing)'}; name it ${want}, as the file`);
  }
  const suffix = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' }[ops[0].operation];
  if (!want.endsWith(suffix)) {
    fail(file, `a ${ops[0].operation}'s name ends in ${suffix} (relay-compiler requires it)`);
  }
  for (const e of validate(schema, doc)) {
    fail(file, e.toString());
  }
}
if (failed > 0) {
  console.error(`${failed} problem(s) in ${dir}`);
  process.exit(1);
}
console.log(`graphql-js: ${files.length} operations in ${dir} are valid against ${schemaFile}`);
