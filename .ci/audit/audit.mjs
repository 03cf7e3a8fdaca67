// Runs the GraphQL-over-HTTP audit (graphql-http's auditServer) against linli as built from
// this tree: it builds the binary, starts it with a private PostgreSQL in a temporary folder
// on a free loopback port, audits /query, prints every result and stops the server. Any
// MUST or SHOULD that is not ok fails (exit 1). Usage, from the repository root:
//   node .ci/audit/audit.mjs
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditServer } from 'graphql-http';

const startLimitMs = 180_000; // building and a first PostgreSQL start on a busy machine
const auditLimitMs = 120_000;

const tmp = mkdtempSync(join(tmpdir(), 'linli-audit-'));
// As root, linli runs PostgreSQL as the postgres user, who must be able to pass through.
chmodSync(tmp, 0o711);
let server;
let failed = true;

function within(ms, what, promise) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

try {
  const bin = join(tmp, 'linli');
  execFileSync('go', ['build', '-o', bin, '.'], { stdio: 'inherit' });
  let logs = '';
  server = spawn(bin, [], {
    env: { ...process.env, LINLI_DATA_DIR: join(tmp, 'data'), LINLI_LISTEN: '127.0.0.1:0', LINLI_DEMO: 'off', LINLI_LOG_LEVEL: 'warn', PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stderr.on('data', (b) => { logs += b; });
  const url = await within(startLimitMs, 'starting linli', new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (b) => {
      out += b;
      const m = /GraphQL: +(http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`linli exited (${code}) before serving:\n${logs}`)));
  }));
  console.log(`auditing ${url}`);
  const results = await within(auditLimitMs, 'the audit', auditServer({ url }));
  let bad = 0;
  for (const r of results) {
    const blocking = r.status !== 'ok' && !r.name.startsWith('MAY');
    if (blocking) bad++;
    console.log(`${r.status.padEnd(6)} ${r.id} ${r.name}${r.status === 'ok' ? '' : `\n         ${r.reason}`}`);
  }
  const count = (req, status) => results.filter((r) => r.name.startsWith(req) && r.status === status).length;
  for (const req of ['MUST', 'SHOULD', 'MAY']) {
    const total = results.filter((r) => r.name.startsWith(req)).length;
    console.log(`${req}: ${count(req, 'ok')} of ${total} ok`);
  }
  failed = bad > 0;
  if (failed) console.error(`${bad} MUST or SHOULD audits not ok`);
} catch (e) {
  console.error(e.message ?? e);
} finally {
  if (server && server.exitCode === null) {
    // SIGTERM: linli stops its private PostgreSQL before it exits.
    const exited = new Promise((resolve) => server.on('exit', resolve));
    server.kill('SIGTERM');
    await within(60_000, 'stopping linli', exited).catch((e) => { console.error(e.message); server.kill('SIGKILL'); });
  }
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
