// Shared fixtures and helpers of the browser tests.
//
// Import `test` and `expect` from here, not from @playwright/test:
// - baseURL is the server e2e/global-setup.ts started;
// - every test records each request its browser context makes and fails
//   if one went anywhere but that server (no CDN, no font service, no
//   analytics: the portal must work on a school network without internet);
// - every test is its own client address: its browser sends
//   X-Forwarded-For: <a random 10.x.y.z>, which the server believes
//   because global setup starts it with --trusted-proxy 127.0.0.1. The
//   server's login and recovery rate limits stay on, as in production,
//   and one test's attempts never slow another one down. Per-identifier
//   limits still apply: log in with createParent() accounts, and use the
//   demo parent only where the demo account itself is the point.
import { test as base, expect, type Page, type TestInfo } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export { expect };

/**
 * The parent `serve --demo` seeds. Never change its password in a test, and
 * log in with it sparingly (the per-identifier rate limit is shared by the
 * whole run): use createParent.
 */
export const DEMO = {
  identifier: 'dupont.marie',
  password: 'Cartable-2026',
  name: 'Marie Dupont',
} as const;

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with \`npx playwright test\` (global setup starts the server)`);
  return v;
}

export const SCHOOL = process.env.SESAME_E2E_SCHOOL ?? 'École Jules Ferry';

type Fixtures = {
  /** Every URL the test's browser context requested, in order. */
  requests: string[];
  /** The client address the server sees for this test's browser. */
  clientAddress: string;
};

export const test = base.extend<Fixtures>({
  baseURL: async ({}, use) => {
    await use(env('SESAME_E2E_BASE_URL'));
  },
  clientAddress: async ({}, use) => {
    const [a, b, c] = randomBytes(3);
    await use(`10.${a}.${b}.${Math.max(c, 1)}`);
  },
  extraHTTPHeaders: async ({ extraHTTPHeaders, clientAddress }, use) => {
    await use({ ...extraHTTPHeaders, 'X-Forwarded-For': clientAddress });
  },
  requests: [
    async ({ context, baseURL }, use) => {
      const seen: string[] = [];
      context.on('request', (r) => seen.push(r.url()));
      await use(seen);
      const foreign = seen.filter((u) => !isServerURL(u, baseURL!));
      expect(foreign, `requests to something other than the server ${baseURL}`).toEqual([]);
    },
    { auto: true },
  ],
});

/** True when url is on the server under test (same scheme, host and port). */
export function isServerURL(url: string, baseURL: string): boolean {
  return url === baseURL || url.startsWith(baseURL + '/');
}

/** Runs `bin/sesame accounts --data <the test server's file> ARGS…`, input on stdin. */
export function accounts(args: string[], input?: string): Promise<string> {
  const bin = env('SESAME_E2E_BIN');
  const data = env('SESAME_E2E_DATA');
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SESAME_')) childEnv[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['accounts', '--data', data, ...args], { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`sesame accounts ${args.join(' ')} exited with ${code}:\n${out}`));
    });
    child.stdin.end(input ?? '');
  });
}

export type Parent = {
  identifier: string;
  password: string;
  firstName: string;
  lastName: string;
  name: string;
  email: string;
};

/**
 * A new parent account with a password, of this test's own, created with
 * the admin CLI while the server runs (it goes through the admin socket).
 * Tests that change a password use one so they stay independent and can
 * run in parallel.
 */
export async function createParent(opts: { firstName?: string; lastName?: string } = {}): Promise<Parent> {
  const tag = randomBytes(5).toString('hex');
  const firstName = opts.firstName ?? 'Lucie';
  const lastName = opts.lastName ?? 'Bernard';
  const p: Parent = {
    identifier: `e2e-${tag}`,
    // Passes the default policy: 8-32 runes, a digit, a letter, not the
    // identifier or a name, not in the blocklist.
    password: `Trousse-${randomBytes(3).readUIntBE(0, 3) % 1000000}-Velo`,
    firstName,
    lastName,
    name: `${firstName} ${lastName}`,
    email: `e2e-${tag}@famille.example`,
  };
  await accounts(['add', '--last-name', lastName, '--first-name', firstName, '--email', p.email, '--identifier', p.identifier]);
  await accounts(['set-password', p.identifier], p.password + '\n');
  return p;
}

/** Fills and submits the login form of `/` (navigating there first unless told not to). */
export async function login(page: Page, identifier: string, password: string, opts: { goto?: boolean } = {}) {
  if (opts.goto !== false) await page.goto('/');
  await page.getByTestId('login-identifier').fill(identifier);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

/** An identifier no account has (a fresh one each time: identifiers are rate-limited too). */
export function unknownIdentifier(): string {
  return `personne.inconnue-${randomBytes(4).toString('hex')}`;
}

/** Submits the login form and returns the status of the POST /login answer. */
export async function loginStatus(page: Page, identifier: string, password: string): Promise<number> {
  await page.getByTestId('login-identifier').fill(identifier);
  await page.getByTestId('login-password').fill(password);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/login' && r.request().method() === 'POST'),
    page.getByTestId('login-submit').click(),
  ]);
  return resp.status();
}

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Scans the page with axe-core (WCAG 2.0/2.1 A+AA, 2.2 AA) and fails with
 * one line per offending element (rule, impact, selector, what is wrong).
 * The full result is attached to the test report. With soft, the test
 * goes on and fails at its end.
 */
export async function expectNoAxeViolations(page: Page, testInfo: TestInfo, label: string, opts: { soft?: boolean } = {}) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  await testInfo.attach(`axe-${label}.json`, {
    body: JSON.stringify({ url: results.url, violations: results.violations, incomplete: results.incomplete }, null, 2),
    contentType: 'application/json',
  });
  const lines = results.violations.flatMap((v) =>
    v.nodes.map(
      (n) =>
        `${v.id} [${v.impact}] ${n.target.join(' ')} — ${v.help} (${v.helpUrl})\n    ${(n.failureSummary ?? '').replace(/\n/g, '\n    ')}\n    ${n.html}`,
    ),
  );
  (opts.soft ? expect.soft : expect)(lines, `axe violations on ${label} (${page.url()})`).toEqual([]);
}
