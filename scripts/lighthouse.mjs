#!/usr/bin/env node
// Lighthouse benchmark of what a parent loads on a phone. NOT a test: it
// is not part of `make test`; run it by hand when the pages change:
//
//   node scripts/lighthouse.mjs   (or: bash scripts/lighthouse.sh, npm run lighthouse)
//
// It
//   1. builds bin/sesame (go build, cached) unless --no-build;
//   2. starts a fresh `bin/sesame serve --demo` on a free loopback port, with
//      a data file in a temporary directory (removed at the end);
//   3. runs Lighthouse (npm lighthouse@12.2.3, fetched on demand by
//      `npx -y`; it runs on Node 20) in Debian's Chromium (CHROME_PATH,
//      default /usr/bin/chromium), headless, mobile form factor with
//      Lighthouse's default mobile throttling, on:
//        - the login page                /
//        - recovery step 1               /recuperation
//        - recovery step 2               /recuperation, with the cookies of a
//                                        flow started here (POST step 1 for
//                                        the demo parent)
//        - recovery step 3               the same flow after its code (read
//                                        from the demo mailbox /dev/mailbox)
//        - the password policy page      /politique-mot-de-passe
//      The flow's cookies reach Lighthouse's browser through
//      --extra-headers '{"Cookie": "..."}'.
//   4. writes the performance, accessibility and best-practices scores, the
//      bytes each page transferred, and every audit that did not pass, to
//      docs/LIGHTHOUSE.md (--out FILE to write elsewhere); the full reports
//      (HTML and JSON) go to test-results/lighthouse/.
//
// Scores, performance above all, depend on the machine: on a busy 2-core
// machine Lighthouse's simulated throttling makes a page look slower than
// on an idle one. Run it on an idle machine and say which one in commits.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const LIGHTHOUSE = 'lighthouse@12.2.3';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const outFile = path.resolve(root, opt('--out', 'docs/LIGHTHOUSE.md'));
const reportDir = path.join(root, 'test-results', 'lighthouse');
const chromePath = process.env.CHROME_PATH || '/usr/bin/chromium';
const chromeFlags = '--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage';
const SCHOOL = 'École Jules Ferry';
const DEMO_EMAIL = 'marie.dupont@exemple.fr'; // the demo parent's address (internal/cli/serve.go, seedDemo)

const say = (...m) => console.log('==>', ...m);
function die(msg) {
  console.error(`lighthouse: ${msg}`);
  process.exit(1);
}

if (!fs.existsSync(chromePath)) die(`${chromePath} is missing: apt-get install chromium, or set CHROME_PATH`);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// --- the server -------------------------------------------------------------
const bin = path.join(root, 'bin', 'sesame');
if (!args.includes('--no-build')) {
  say('go build -o bin/sesame .');
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: root, stdio: 'inherit' });
}
if (!fs.existsSync(bin)) die(`${bin} is missing (run without --no-build)`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sesame-lh-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SESAME_')));
const logFile = path.join(dir, 'server.log');
const log = fs.openSync(logFile, 'a');
const server = spawn(
  bin,
  [
    'serve', '--demo',
    '--addr', `127.0.0.1:${port}`,
    '--data', path.join(dir, 'lh.db'),
    '--base-url', base,
    '--school', SCHOOL,
    '--secretariat-phone', '01 23 45 67 89',
    '--secretariat-email', 'secretariat@ecole.example',
    '--secretariat-hours', 'lundi-vendredi 8h-17h',
  ],
  { env, stdio: ['ignore', log, log] },
);
fs.closeSync(log);
const cleanup = () => {
  if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

for (let i = 0; ; i++) {
  if (server.exitCode !== null) die(`bin/sesame exited:\n${fs.readFileSync(logFile, 'utf8')}`);
  try {
    const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
    if (r.ok) break;
  } catch {
    // not listening yet
  }
  if (i > 300) die(`bin/sesame not ready after 15 s:\n${fs.readFileSync(logFile, 'utf8')}`);
  await new Promise((r) => setTimeout(r, 50));
}
say(`bin/sesame serve --demo on ${base}`);

// --- a recovery flow driven with plain HTTP (a cookie jar) -------------------
const jar = new Map();
async function http(method, p, form) {
  const headers = { Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), 'Accept-Language': 'fr-FR' };
  let body;
  if (form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const res = await fetch(base + p, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
  for (const c of res.headers.getSetCookie()) {
    const [pair, ...attrs] = c.split(';');
    const [k, v] = [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim()];
    if (attrs.some((a) => /^\s*max-age=(0|-)/i.test(a)) || v === '') jar.delete(k);
    else jar.set(k, v);
  }
  return { status: res.status, text: await res.text() };
}
const cookieHeader = () => ({ Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') });
const csrfOf = (html) => {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) die('no CSRF token in the recovery page');
  return m[1].replace(/&#43;/g, '+').replace(/&amp;/g, '&');
};

let csrf = '';
async function startFlow() {
  const page = await http('GET', '/recuperation');
  csrf = csrfOf(page.text);
  const r = await http('POST', '/recuperation/email', { _csrf: csrf, email: DEMO_EMAIL });
  if (r.status !== 303 || !jar.has('sesame_recovery')) die(`step 1 answered ${r.status} (expected 303 and a flow cookie)`);
  const s2 = await http('GET', '/recuperation');
  if (!/data-step="2"/.test(s2.text)) die('the flow is not at step 2 after step 1');
  return cookieHeader();
}
async function verifyCode() {
  let code = '';
  for (let i = 0; i < 100 && !code; i++) {
    const box = await http('GET', '/dev/mailbox');
    code = /(\d{4} \d{4}) est votre code/.exec(box.text)?.[1] ?? '';
    if (!code) await new Promise((r) => setTimeout(r, 100));
  }
  if (!code) die('no security code in the demo mailbox');
  const r = await http('POST', '/recuperation/code', { _csrf: csrf, code });
  if (r.status !== 303) die(`step 2 answered ${r.status} (expected 303)`);
  const s3 = await http('GET', '/recuperation');
  if (!/data-step="3"/.test(s3.text)) die('the flow is not at step 3 after the code');
  return cookieHeader();
}

// --- Lighthouse ---------------------------------------------------------------
fs.mkdirSync(reportDir, { recursive: true });
function lighthouse(name, url, headers) {
  const outBase = path.join(reportDir, name);
  const lhArgs = [
    '-y', LIGHTHOUSE, url,
    '--quiet',
    '--form-factor=mobile',
    '--only-categories=performance,accessibility,best-practices',
    '--output=json', '--output=html', `--output-path=${outBase}`,
    `--chrome-flags=${chromeFlags}`,
  ];
  if (headers) lhArgs.push(`--extra-headers=${JSON.stringify(headers)}`);
  return new Promise((resolve, reject) => {
    const child = spawn('npx', lhArgs, { env: { ...process.env, CHROME_PATH: chromePath }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`lighthouse exited with ${code} on ${url}`));
      resolve(JSON.parse(fs.readFileSync(`${outBase}.report.json`, 'utf8')));
    });
  });
}

const pages = [
  { name: 'login', label: 'Login page `/`', path: '/' },
  { name: 'recovery-1', label: 'Recovery step 1 `/recuperation`', path: '/recuperation' },
  { name: 'recovery-2', label: 'Recovery step 2 (code)', path: '/recuperation', prepare: startFlow },
  { name: 'recovery-3', label: 'Recovery step 3 (new password)', path: '/recuperation', prepare: verifyCode },
  { name: 'policy', label: 'Password policy `/politique-mot-de-passe`', path: '/politique-mot-de-passe' },
];

const results = [];
for (const p of pages) {
  const headers = p.prepare ? await p.prepare() : undefined;
  say(`lighthouse ${p.label}`);
  // Lighthouse sometimes fails to record a trace on a busy machine
  // (NO_NAVSTART, NO_FCP): try again, up to three times.
  let lhr;
  for (let attempt = 1; ; attempt++) {
    try {
      lhr = await lighthouse(p.name, base + p.path, headers);
      if (lhr.runtimeError) throw new Error(`${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
      break;
    } catch (e) {
      if (attempt >= 3) die(`${p.label}: ${e.message}`);
      say(`${p.label}: ${e.message}; again (${attempt + 1}/3)`);
    }
  }
  if (p.prepare) {
    // The page really was the step we meant (the cookie reached the browser).
    const step = { 'recovery-2': '2', 'recovery-3': '3' }[p.name];
    const html = (await http('GET', '/recuperation')).text;
    if (!html.includes(`data-step="${step}"`)) die(`${p.label}: the flow moved on during the run`);
  }
  results.push({ ...p, lhr });
}

// --- the report ---------------------------------------------------------------
const score = (lhr, id) => (lhr.categories[id]?.score == null ? 'n/a' : Math.round(lhr.categories[id].score * 100));
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (v) => (v == null ? 'n/a' : `${Math.round(v)} ms`);
const first = results[0].lhr;
const requests = first.audits['network-requests']?.details?.items ?? [];
const chromium = execFileSync(chromePath, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

let md = `# Lighthouse scores

Measured by \`node scripts/lighthouse.mjs\` (not part of \`make test\`) with
${LIGHTHOUSE} in ${chromium}, headless, **mobile** form factor and Lighthouse's
default mobile throttling (simulated slow 4G, 4× CPU slowdown), against a fresh
\`bin/sesame serve --demo\`. Target: 100 in each column.

Run on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus().length} CPU(s), load average
${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end (performance scores drop on a busy machine).

| Page | Performance | Accessibility | Best practices | Transferred | FCP | LCP | TBT | CLS |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
`;
for (const { label, lhr } of results) {
  const a = lhr.audits;
  md += `| ${label} | ${score(lhr, 'performance')} | ${score(lhr, 'accessibility')} | ${score(lhr, 'best-practices')} | ${kb(a['total-byte-weight'].numericValue)} | ${ms(a['first-contentful-paint']?.numericValue)} | ${ms(a['largest-contentful-paint']?.numericValue)} | ${ms(a['total-blocking-time']?.numericValue)} | ${a['cumulative-layout-shift']?.numericValue?.toFixed(3) ?? 'n/a'} |\n`;
}

md += `
## The first page (the login page): ${kb(first.audits['total-byte-weight'].numericValue)} transferred

| Request | Type | Transferred | Size (uncompressed) |
|---|---|---:|---:|
`;
for (const r of requests) {
  md += `| \`${new URL(r.url).pathname}\` | ${r.resourceType ?? ''} | ${kb(r.transferSize ?? 0)} | ${kb(r.resourceSize ?? 0)} |\n`;
}

md += '\n## Audits that did not pass\n\n';
let anyFailed = false;
for (const { label, lhr } of results) {
  const failed = [];
  for (const id of ['performance', 'accessibility', 'best-practices']) {
    for (const ref of lhr.categories[id]?.auditRefs ?? []) {
      const a = lhr.audits[ref.id];
      if (!a || a.score === null || a.score >= 1 || a.scoreDisplayMode === 'informative' || a.scoreDisplayMode === 'notApplicable') continue;
      if (ref.weight === 0 && a.scoreDisplayMode !== 'binary') continue;
      const why = (a.details?.items ?? [])
        .slice(0, 3)
        .map((it) => [it.description ?? it.reason ?? '', it.sourceLocation?.url ?? it.url ?? ''].filter(Boolean).join(' — '))
        .filter(Boolean);
      if (a.id === 'total-blocking-time') {
        // Where the main thread was busy (Lighthouse's long tasks, > 50 ms).
        for (const t of (lhr.audits['long-tasks']?.details?.items ?? []).slice(0, 4)) {
          why.push(`long task ${Math.round(t.duration)} ms — ${t.url.startsWith('http') ? new URL(t.url).pathname : t.url}`);
        }
      }
      failed.push(
        `- ${id}: **${a.title}** (\`${a.id}\`, score ${Math.round(a.score * 100)}${a.displayValue ? `, ${a.displayValue}` : ''}${ref.weight === 0 ? ', no weight in the score' : ''})` +
          why.map((w) => `\n  - ${w}`).join(''),
      );
    }
  }
  if (failed.length) {
    anyFailed = true;
    md += `### ${label}\n\n${failed.join('\n')}\n\n`;
  }
}
if (!anyFailed) md += 'None.\n';
md += `\nFull reports (HTML, JSON): \`test-results/lighthouse/\` after a run.\n`;

fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, md);
say(`wrote ${path.relative(root, outFile)}`);
console.log('\n' + md.split('\n').filter((l) => l.startsWith('|')).slice(0, 2 + results.length).join('\n'));
// The server (a child process) would keep Node running: stop it, and
// exit (the 'exit' handler removes the temporary directory).
process.exit(0);
