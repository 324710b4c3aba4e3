// Starts what the browser tests talk to, and stops it afterwards (the
// function returned below is Playwright's teardown):
//
// - bin/smtpsink, the repo's SMTP sink (tools/smtpsink): it accepts every
//   message on loopback and lists them as JSON, so a test reads the
//   security code from a real e-mail that left Sésame through its real
//   SMTP path (go-mail, the outbox, the worker), as in production;
// - bin/sesame, the freshly built server, sending its mail to the sink
//   (--smtp-url smtp://127.0.0.1:PORT --smtp-tls none);
// - a second bin/sesame with --code-ttl 3s and --desk-idle-timeout 3s (its
//   own data file, the same sink), for the expired-code and expired staff
//   session tests.
//
// Each gets free ports, chosen here by asking the kernel for one
// (listen(0)). The servers get a fresh data file in a new temporary
// directory (removed at the end), --demo (so the demo parent dupont.marie /
// Cartable-Vert-2026 exists) and --trusted-proxy 127.0.0.1, so each test can be
// its own client address. Each is ready when GET /healthz answers "ok".
//
// `make e2e` builds bin/sesame and bin/smtpsink first (Makefile, build-dev);
// when bin/smtpsink is missing (`npx playwright test` straight after a
// `make build`), it is built here with `go build`.
//
// Addresses, data files and binaries reach the tests (worker processes
// started after this runs) through environment variables; e2e/helpers.ts
// reads them. The logs are copied to test-results/ (sesame-server.log,
// sesame-short-ttl.log, smtpsink.log).
import type { FullConfig } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const SCHOOL = 'École Jules Ferry';

/** The code lifetime of the second server, for the expired-code test. */
export const SHORT_CODE_TTL = '3s';

/** The desk's idle timeout on the second server, for the expired staff session test. */
export const SHORT_DESK_IDLE = '3s';

/** The networks the desk answers from (--desk-network). */
export const DESK_NETWORK = '10.0.0.0/8';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not get a free port'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

type Proc = { name: string; child: ChildProcess; logFile: string; copyAs: string };

async function waitHealthy(url: string, p: Proc, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (exited(p.child)) {
      throw new Error(
        `${p.name} exited (code ${p.child.exitCode}, signal ${p.child.signalCode}) before it was ready:\n` +
          fs.readFileSync(p.logFile, 'utf8'),
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      const body = await res.text();
      if (res.ok && body.trim() === 'ok') return;
      last = `HTTP ${res.status}: ${body.slice(0, 200)}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${p.name} not healthy at ${url} after ${timeoutMs} ms (${last}):\n` + fs.readFileSync(p.logFile, 'utf8'));
}

async function stop(child: ChildProcess) {
  if (exited(child)) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM'); // graceful shutdown: in-flight requests finish, bbolt closes
  const timer = setTimeout(() => {
    if (!exited(child)) child.kill('SIGKILL');
  }, 5000);
  await done;
  clearTimeout(timer);
}

/** Builds bin/smtpsink from tools/smtpsink when it is missing. */
function ensureSink(root: string): string {
  const sink = process.env.SESAME_E2E_SINK_BIN || path.join(root, 'bin', 'smtpsink');
  if (!fs.existsSync(sink)) {
    console.log(`[global-setup] ${sink} is missing: go build -o ${sink} ./tools/smtpsink`);
    execFileSync('go', ['build', '-o', sink, './tools/smtpsink'], { cwd: root, stdio: 'inherit' });
  }
  return sink;
}

export default async function globalSetup(config: FullConfig) {
  const root = config.configFile ? path.dirname(config.configFile) : process.cwd();
  const bin = process.env.SESAME_E2E_BIN || path.join(root, 'bin', 'sesame');
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} is missing: build it first (make e2e builds it, then runs these tests)`);
  }
  const sinkBin = ensureSink(root);

  // A short path: the admin socket lives beside the data file, and Unix
  // socket paths are limited to ~107 bytes.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sesame-e2e-'));

  // Only our flags configure the servers: drop any SESAME_* from the
  // developer's shell.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SESAME_')) env[k] = v;
  }

  const procs: Proc[] = [];
  const start = (name: string, file: string, args: string[], copyAs: string): Proc => {
    const logFile = path.join(dir, copyAs);
    const log = fs.openSync(logFile, 'a');
    const child = spawn(file, args, { env, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const p = { name, child, logFile, copyAs };
    procs.push(p);
    return p;
  };
  // If the runner dies without running teardown, do not leave anything behind.
  const killOnExit = () => {
    for (const p of procs) if (!exited(p.child)) p.child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const [smtpPort, sinkPort, port, shortPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const sinkURL = `http://127.0.0.1:${sinkPort}`;
  const baseURL = `http://127.0.0.1:${port}`;
  const shortURL = `http://127.0.0.1:${shortPort}`;
  const data = path.join(dir, 'e2e.db');
  const shortData = path.join(dir, 'short.db');

  const sesameArgs = (addrPort: number, url: string, dataFile: string) => [
    'serve',
    '--demo',
    '--addr', `127.0.0.1:${addrPort}`,
    '--data', dataFile,
    '--base-url', url,
    '--school', SCHOOL,
    '--secretariat-phone', '01 23 45 67 89',
    '--secretariat-email', 'secretariat@ecole.example',
    '--secretariat-hours', 'lundi-vendredi 8h-17h',
    // The real SMTP path, to the sink: plain SMTP on loopback.
    '--smtp-url', `smtp://127.0.0.1:${smtpPort}`,
    '--smtp-tls', 'none',
    // The browser is the "reverse proxy": each test sends its own
    // X-Forwarded-For (e2e/helpers.ts), so rate limits stay on and
    // apply per test instead of to the whole run.
    '--trusted-proxy', '127.0.0.1',
    // The school's network for the secretariat desk: every test's
    // client address (10.x.y.z) is in it; desk.spec.ts comes from
    // elsewhere to be refused.
    '--desk-network', DESK_NETWORK,
  ];

  try {
    const sink = start('smtpsink', sinkBin, ['--smtp', `127.0.0.1:${smtpPort}`, '--http', `127.0.0.1:${sinkPort}`], 'smtpsink.log');
    await waitHealthy(`${sinkURL}/healthz`, sink, 15_000);
    const main = start('bin/sesame', bin, sesameArgs(port, baseURL, data), 'sesame-server.log');
    const short = start(
      `bin/sesame (--code-ttl ${SHORT_CODE_TTL})`,
      bin,
      [...sesameArgs(shortPort, shortURL, shortData), '--code-ttl', SHORT_CODE_TTL, '--desk-idle-timeout', SHORT_DESK_IDLE],
      'sesame-short-ttl.log',
    );
    await Promise.all([waitHealthy(`${baseURL}/healthz`, main, 15_000), waitHealthy(`${shortURL}/healthz`, short, 15_000)]);
  } catch (e) {
    await Promise.all(procs.map((p) => stop(p.child)));
    process.off('exit', killOnExit);
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  process.env.SESAME_E2E_BASE_URL = baseURL;
  process.env.SESAME_E2E_DATA = data;
  process.env.SESAME_E2E_SHORT_URL = shortURL;
  process.env.SESAME_E2E_SHORT_DATA = shortData;
  process.env.SESAME_E2E_SHORT_CODE_TTL = SHORT_CODE_TTL;
  process.env.SESAME_E2E_SINK_URL = sinkURL;
  process.env.SESAME_E2E_BIN = bin;
  process.env.SESAME_E2E_SCHOOL = SCHOOL;

  return async () => {
    const died = procs.filter((p) => exited(p.child));
    await Promise.all(procs.map((p) => stop(p.child)));
    process.off('exit', killOnExit);
    try {
      const out = path.resolve(root, config.projects[0]?.outputDir ?? 'test-results');
      fs.mkdirSync(out, { recursive: true });
      for (const p of procs) fs.copyFileSync(p.logFile, path.join(out, p.copyAs));
    } catch {
      // the logs are a convenience; never fail the run for them
    }
    fs.rmSync(dir, { recursive: true, force: true });
    if (died.length > 0) {
      throw new Error(
        died.map((p) => `${p.name} died during the tests (code ${p.child.exitCode}, signal ${p.child.signalCode}); see test-results/${p.copyAs}`).join('\n'),
      );
    }
  };
}
