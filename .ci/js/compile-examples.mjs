// Compiles the operations in examples/ as two real clients would, against the printed
// schema: graphql-codegen (TypeScript types, the typescript and typescript-operations
// plugins) and relay-compiler (TypeScript). Usage:
//   node compile-examples.mjs <schema.graphql> <examples folder> <empty work folder>
//
// relay-compiler reads operations only from graphql`…` tags in JavaScript or TypeScript
// files, so each example is copied into <work>/relay/src/<Name>.ts as one tag; the file
// and the operation share a name, which satisfies relay's rule that an operation's name
// starts with its module's. Copies made here, rather than committed, cannot drift from the
// .graphql files.
//
// relay-compiler compiles a field it takes for a client-only schema extension without a
// word, and leaves it out of the text sent to the server (it did so for every field under
// `extend type Query` in schema.graphqls). So beyond relay's own errors, every artefact
// must be a complete operation sent to the server: no ClientExtension, and text present.
import { mkdirSync, readFileSync, readdirSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { basename, join, resolve, dirname } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';

const [schemaArg, dirArg, workArg] = process.argv.slice(2);
if (!schemaArg || !dirArg || !workArg) {
  console.error('usage: node compile-examples.mjs <schema.graphql> <examples folder> <work folder>');
  process.exit(2);
}
const [schemaFile, dir, work] = [schemaArg, dirArg, workArg].map((p) => resolve(p));
const here = dirname(fileURLToPath(import.meta.url));
const names = readdirSync(dir).filter((f) => f.endsWith('.graphql')).map((f) => basename(f, '.graphql')).sort();
// The custom scalars as JSON carries them; strictScalars makes a new scalar without a
// mapping an error instead of a silent `any`.
const scalars = { Time: 'string', Date: 'string', Upload: 'File' };

// graphql-codegen: one TypeScript file of types for the schema and every operation.
const codegenOut = join(work, 'codegen', 'operations.ts');
// graphql-codegen loads its plugins from the working folder's node_modules.
process.chdir(here);
await generate(
  {
    schema: schemaFile,
    documents: names.map((n) => join(dir, `${n}.graphql`)),
    generates: {
      [codegenOut]: {
        plugins: ['typescript', 'typescript-operations'],
        config: { scalars, strictScalars: true, enumsAsTypes: true, dedupeOperationSuffix: true },
      },
    },
    silent: true,
  },
  true,
);
const generated = readFileSync(codegenOut, 'utf8');
const missing = names.filter((n) => !generated.includes(`export type ${n}Variables`));
if (missing.length > 0) {
  console.error(`graphql-codegen: no types for ${missing.join(', ')}`);
  process.exit(1);
}
console.log(`graphql-codegen: types for ${names.length} operations in ${codegenOut}`);

// relay-compiler, on copies of the examples.
const relay = join(work, 'relay');
mkdirSync(join(relay, 'src'), { recursive: true });
copyFileSync(schemaFile, join(relay, 'schema.graphql'));
for (const n of names) {
  const text = readFileSync(join(dir, `${n}.graphql`), 'utf8');
  if (text.includes('`') || text.includes('${')) {
    console.error(`${n}.graphql: a backtick or \${ cannot be copied into a graphql\`…\` tag`);
    process.exit(1);
  }
  writeFileSync(join(relay, 'src', `${n}.ts`), `import { graphql } from 'relay-runtime';\n\nexport default graphql\`\n${text}\`;\n`);
}
const config = { src: './src', schema: './schema.graphql', language: 'typescript', customScalarTypes: scalars };
writeFileSync(join(relay, 'relay.config.json'), JSON.stringify(config, null, 2));
try {
  execFileSync(join(here, 'node_modules', '.bin', 'relay-compiler'), ['relay.config.json'], {
    cwd: relay,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
} catch (e) {
  // relay-compiler colours its log; its errors name the file and the field.
  console.error(`relay-compiler failed:\n${e.stdout}${e.stderr}`);
  process.exit(1);
}
let failed = 0;
for (const n of names) {
  const artefact = join(relay, 'src', '__generated__', `${n}.graphql.ts`);
  if (!existsSync(artefact)) {
    console.error(`relay-compiler: no artefact for ${n}`);
    failed++;
    continue;
  }
  const a = readFileSync(artefact, 'utf8');
  if (a.includes('"ClientExtension"')) {
    console.error(`relay-compiler: ${n} selects fields relay takes for client-only extensions, which it would never send`);
    failed++;
  }
  const kind = n.endsWith('Mutation') ? 'mutation' : n.endsWith('Subscription') ? 'subscription' : 'query';
  if (!a.includes(`"text": "${kind} ${n}`)) {
    console.error(`relay-compiler: ${n} has no operation text to send`);
    failed++;
  }
}
if (failed > 0) {
  process.exit(1);
}
console.log(`relay-compiler: ${names.length} operations compiled, each sent whole to the server`);
