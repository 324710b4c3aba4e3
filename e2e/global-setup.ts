// Starts the freshly built bin/sesame for the browser tests and stops it
// afterwards (the function returned below is Playwright's teardown).
//
// - a free port, chosen here by asking the kernel for one (listen(0));
// - a fresh data file in a new temporary directory (removed at the end);
// - --demo, so the demo parent dupont.marie / Cartable-2026 exists;
// - --trusted-proxy 127.0.0.1, so each test can be its own client address;
// - ready when GET /healthz answers "ok".
//
// The address, data file and binary reach the tests (worker processes
// started after this runs) through environment variables; e2e/helpers.ts
// reads them. The server's log is copied to test-results/sesame-server.log.
import type { FullConfig } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const SCHOOL = 'École Jules Ferry';

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

async function waitHealthy(url: string, child: ChildProcess, logFile: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (exited(child)) {
      throw new Error(
        `bin/sesame exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready:\n` +
          fs.readFileSync(logFile, 'utf8'),
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
  throw new Error(`bin/sesame not healthy at ${url} after ${timeoutMs} ms (${last}):\n` + fs.readFileSync(logFile, 'utf8'));
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

export default async function globalSetup(config: FullConfig) {
  const root = config.configFile ? path.dirname(config.configFile) : process.cwd();
  const bin = process.env.SESAME_E2E_BIN || path.join(root, 'bin', 'sesame');
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} is missing: build it first (make e2e builds it, then runs these tests)`);
  }

  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  // A short path: the admin socket lives beside the data file, and Unix
  // socket paths are limited to ~107 bytes.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sesame-e2e-'));
  const data = path.join(dir, 'e2e.db');
  const logFile = path.join(dir, 'server.log');
  const log = fs.openSync(logFile, 'a');

  // Only our flags configure the server: drop any SESAME_* from the
  // developer's shell.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SESAME_')) env[k] = v;
  }

  const child = spawn(
    bin,
    [
      'serve',
      '--demo',
      '--addr', `127.0.0.1:${port}`,
      '--data', data,
      '--base-url', baseURL,
      '--school', SCHOOL,
      '--secretariat-phone', '01 23 45 67 89',
      '--secretariat-email', 'secretariat@ecole.example',
      '--secretariat-hours', 'lundi-vendredi 8h-17h',
      // The browser is the "reverse proxy": each test sends its own
      // X-Forwarded-For (e2e/helpers.ts), so rate limits stay on and
      // apply per test instead of to the whole run.
      '--trusted-proxy', '127.0.0.1',
    ],
    { env, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  // If the runner dies without running teardown, do not leave the server behind.
  const killOnExit = () => {
    if (!exited(child)) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  try {
    await waitHealthy(`${baseURL}/healthz`, child, logFile, 15_000);
  } catch (e) {
    await stop(child);
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  process.env.SESAME_E2E_BASE_URL = baseURL;
  process.env.SESAME_E2E_DATA = data;
  process.env.SESAME_E2E_BIN = bin;
  process.env.SESAME_E2E_SCHOOL = SCHOOL;

  return async () => {
    const died = exited(child);
    await stop(child);
    process.off('exit', killOnExit);
    try {
      const out = path.resolve(root, config.projects[0]?.outputDir ?? 'test-results');
      fs.mkdirSync(out, { recursive: true });
      fs.copyFileSync(logFile, path.join(out, 'sesame-server.log'));
    } catch {
      // the log is a convenience; never fail the run for it
    }
    fs.rmSync(dir, { recursive: true, force: true });
    if (died) {
      throw new Error(`bin/sesame died during the tests (code ${child.exitCode}, signal ${child.signalCode}); see test-results/sesame-server.log`);
    }
  };
}
