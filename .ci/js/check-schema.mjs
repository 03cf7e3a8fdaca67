// Parses and builds the schema with graphql-js, a parser independent of gqlparser, so that a
// file gqlgen accepts but the JavaScript tools refuse (as with a description ending in a quote
// right before its closing """) fails CI. Usage: node check-schema.mjs schema.graphqls
import { readFileSync } from 'node:fs';
import { parse, buildASTSchema, validateSchema, version } from 'graphql';

const file = process.argv[2];
if (!file) {
  console.error('usage: node check-schema.mjs <schema.graphqls>');
  process.exit(2);
}
const source = readFileSync(file, 'utf8');

let doc;
try {
  doc = parse(source, { noLocation: false });
} catch (e) {
  // GraphQLError's toString names the file position and shows the offending line.
  console.error(`graphql-js ${version} cannot parse ${file}:\n${e.toString()}`);
  process.exit(1);
}

let schema;
try {
  // assertValidSDL runs here: unknown types or directives, duplicate names, wrong locations.
  schema = buildASTSchema(doc);
} catch (e) {
  console.error(`graphql-js ${version} cannot build a schema from ${file}:\n${e.toString()}`);
  process.exit(1);
}
const errors = validateSchema(schema);
if (errors.length > 0) {
  console.error(`graphql-js ${version} finds ${file} invalid:\n${errors.map(String).join('\n')}`);
  process.exit(1);
}
const types = Object.keys(schema.getTypeMap()).filter((n) => !n.startsWith('__')).length;
console.log(`graphql-js ${version}: ${file} parses and builds (${types} types)`);
