// Shared fixtures and helpers of the browser tests.
//
// Import `test` and `expect` from here, not from @playwright/test:
// - every test runs the guards of e2e/guards.ts (console errors, CSP
//   violations, unexpected HTTP errors: declare the expected ones with
//   test.use({ allowedStatuses }); sideways scroll at 320/360/390 px; the
//   language switch of the page it ends on);
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
//   demo parent only where the demo account itself is the point;
// - e-mails are read from the SMTP sink global setup started (mailTo,
//   waitForMail, codeFrom): they went through Sésame's real SMTP path;
// - `test.use({ instance: 'short' })` points a test at the second server,
//   whose security codes live 3 seconds (the expired-code test).
import { test as base, expect, type Browser, type BrowserContext, type BrowserContextOptions, type Page, type TestInfo } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Guard, expectSwitcher } from './guards';

export { expect, expectSwitcher };

/**
 * The parent `serve --demo` seeds. Never change its password in a test, and
 * log in with it sparingly (the per-identifier rate limit is shared by the
 * whole run): use createParent.
 */
export const DEMO = {
  identifier: 'dupont.marie',
  password: 'Cartable-Vert-2026',
  name: 'Marie Dupont',
} as const;

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with \`npx playwright test\` (global setup starts the server)`);
  return v;
}

export const SCHOOL = process.env.SESAME_E2E_SCHOOL ?? 'École Jules Ferry';

/** Which server a test talks to: the main one, or the one with 3-second codes. */
export type Instance = 'main' | 'short';

function instanceURL(instance: Instance): string {
  return env(instance === 'short' ? 'SESAME_E2E_SHORT_URL' : 'SESAME_E2E_BASE_URL');
}

function instanceData(instance: Instance): string {
  return env(instance === 'short' ? 'SESAME_E2E_SHORT_DATA' : 'SESAME_E2E_DATA');
}

type Fixtures = {
  /** Every URL the test's browser context requested, in order. */
  requests: string[];
  /** The client address the server sees for this test's browser. */
  clientAddress: string;
  /** The server under test (an option: test.use({ instance: 'short' })). */
  instance: Instance;
  /**
   * The HTTP error statuses the test provokes on purpose (an option:
   * test.use({ allowedStatuses: [401] })); any other fails the test.
   */
  allowedStatuses: number[];
  /**
   * The test cuts requests on purpose (route.abort): the browser's and
   * htmx's console lines about a failed request are expected (an option).
   */
  allowNetworkErrors: boolean;
  /**
   * Origins besides the server the test's browser may load pages from (an
   * option: the school's application of e2e/oidc.spec.ts, tools/oidcrp).
   * The array is read when the test runs, so a spec may fill it in
   * beforeAll.
   */
  otherOrigins: string[];
  /** The guards of e2e/guards.ts, on every test (automatic). */
  guard: Guard;
};

export const test = base.extend<Fixtures>({
  instance: ['main', { option: true }],
  baseURL: async ({ instance }, use) => {
    await use(instanceURL(instance));
  },
  clientAddress: async ({}, use) => {
    const [a, b, c] = randomBytes(3);
    await use(`10.${a}.${b}.${Math.max(c, 1)}`);
  },
  extraHTTPHeaders: async ({ extraHTTPHeaders, clientAddress }, use) => {
    await use({ ...extraHTTPHeaders, 'X-Forwarded-For': clientAddress });
  },
  allowedStatuses: [[], { option: true }],
  allowNetworkErrors: [false, { option: true }],
  otherOrigins: [[], { option: true }],
  guard: [
    async ({ context, baseURL, allowedStatuses, allowNetworkErrors, browser }, use, testInfo) => {
      const g = new Guard(baseURL!, allowedStatuses, allowNetworkErrors);
      await g.install(context);
      await use(g);
      // The page the test ends on: its language switch.
      for (const p of context.pages()) {
        if (!p.isClosed() && isServerURL(p.url(), baseURL!)) await expectSwitcher(p);
      }
      const over = await g.overflow(browser, testInfo);
      expect.soft(over, 'pages that scroll sideways on a phone').toEqual([]);
      expect(g.problems, 'console errors, page errors, CSP violations and unexpected HTTP errors').toEqual([]);
    },
    { auto: true },
  ],
  requests: [
    async ({ context, baseURL, otherOrigins }, use) => {
      const seen: string[] = [];
      context.on('request', (r) => seen.push(r.url()));
      await use(seen);
      const foreign = seen.filter((u) => !isServerURL(u, baseURL!) && !otherOrigins.some((o) => isServerURL(u, o)));
      expect(foreign, `requests to something other than the server ${baseURL}`).toEqual([]);
    },
    { auto: true },
  ],
});

/** True when url is on the server under test (same scheme, host and port). */
export function isServerURL(url: string, baseURL: string): boolean {
  return url === baseURL || url.startsWith(baseURL + '/');
}

/**
 * Runs `bin/sesame accounts --data <the test server's file> ARGS…`, input on
 * stdin (the main server's file unless told otherwise).
 */
export function accounts(args: string[], input?: string, instance: Instance = 'main'): Promise<string> {
  return sesame('accounts', args, input, instance);
}

/**
 * Runs the admin command `bin/sesame COMMAND --data <the test server's file>
 * ARGS…` (accounts, activation…), input on stdin; it goes through the
 * server's admin socket. Resolves with what it printed, rejects when it
 * fails.
 */
export function sesame(command: string, args: string[], input?: string, instance: Instance = 'main'): Promise<string> {
  const bin = env('SESAME_E2E_BIN');
  const data = instanceData(instance);
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SESAME_')) childEnv[k] = v;
  }
  return new Promise((resolve, reject) => {
    // No input: stdin is /dev/null. With input: a pipe, whose EPIPE (the
    // command exited before reading it, e.g. on a usage error) must not
    // crash the worker — the exit code and output say what went wrong.
    const child = spawn(bin, [command, '--data', data, ...args], { env: childEnv, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`sesame ${command} ${args.join(' ')} exited with ${code}:\n${out}`));
    });
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
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
 * A new parent account of this test's own, created with the admin CLI
 * while the server runs (it goes through the admin socket). Tests that
 * change a password use one so they stay independent and can run in
 * parallel.
 *
 * - email: share an address between accounts (a family address);
 * - imported: no password, like an account from the school's export that
 *   was never activated (its parent chooses one through the recovery);
 * - instance: on the short-code-lifetime server.
 */
export async function createParent(
  opts: { firstName?: string; lastName?: string; email?: string; imported?: boolean; instance?: Instance; lang?: 'fr' | 'en' } = {},
): Promise<Parent> {
  const tag = randomBytes(5).toString('hex');
  const firstName = opts.firstName ?? 'Lucie';
  const lastName = opts.lastName ?? 'Bernard';
  const p: Parent = {
    identifier: `e2e-${tag}`,
    // Passes the default policy: 8-32 runes, a digit, a letter, not the
    // identifier or a name, not in the blocklist.
    password: opts.imported ? '' : `Trousse-${randomBytes(3).readUIntBE(0, 3) % 1000000}-Velo`,
    firstName,
    lastName,
    name: `${firstName} ${lastName}`,
    email: opts.email ?? `e2e-${tag}@famille.example`,
  };
  const args = ['add', '--last-name', lastName, '--first-name', firstName, '--email', p.email, '--identifier', p.identifier];
  if (opts.lang) args.push('--lang', opts.lang);
  await accounts(args, undefined, opts.instance);
  if (!opts.imported) await accounts(['set-password', p.identifier], p.password + '\n', opts.instance);
  return p;
}

/** A pupil in a school export: last name defaults to the adult's. */
export type Pupil = { firstName: string; lastName?: string; className: string };

/** A responsible adult of a family, as a school export lists them. */
export type FamilyAdult = {
  civility: string;
  firstName: string;
  lastName: string;
  /** « Lien de parenté »: Mère, Père, Tuteur… */
  link: string;
  children: Pupil[];
};

/** A family after the import: its shared address and each adult's account. */
export type Family = {
  email: string;
  /** Each adult with their identifier and their name as the portal shows it. */
  adults: (FamilyAdult & { identifier: string; name: string; children: Required<Pupil>[] })[];
};

/** Random letters only: names must be letters, and the import matches names. */
function letters(n: number): string {
  return Array.from(randomBytes(n), (b) => String.fromCharCode(97 + (b % 26))).join('');
}

/**
 * Imports a family sharing one address through `sesame accounts import`,
 * in the school export shape « one line per adult per pupil »
 * (Civilité;Nom;Prénom;Courriel;Lien de parenté;Nom élève;Prénom élève;Classe),
 * with CRLF line ends as the school's software writes them. Each last
 * name (adults' and pupils') gets a random suffix, so two tests never
 * share a family: the import matches adults by name and by child. The
 * accounts have no password (imported, never activated); their
 * identifiers are read back from `accounts list` by address and name.
 */
export async function importFamily(adults: FamilyAdult[]): Promise<Family> {
  const tag = letters(6);
  const suffix = tag[0].toUpperCase() + tag.slice(1);
  const email = `e2e-${tag}@famille.example`;
  const family: Family = {
    email,
    adults: adults.map((a) => {
      const lastName = `${a.lastName}-${suffix}`;
      return {
        ...a,
        lastName,
        identifier: '',
        name: '',
        children: a.children.map((c) => ({ ...c, lastName: `${c.lastName ?? a.lastName}-${suffix}` })),
      };
    }),
  };
  const rows = ['Civilité;Nom;Prénom;Courriel;Lien de parenté;Nom élève;Prénom élève;Classe'];
  for (const a of family.adults) {
    for (const c of a.children) rows.push([a.civility, a.lastName, a.firstName, email, a.link, c.lastName, c.firstName, c.className].join(';'));
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sesame-e2e-')), 'export.csv');
  fs.writeFileSync(file, rows.join('\r\n') + '\r\n');
  try {
    await accounts(['import', file]);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
  // IDENTIFIER  NAME  E-MAIL  LANG  STATE  PASSWORD, columns two spaces apart.
  const list = (await accounts(['list'])).split('\n').map((l) => l.trim().split(/\s{2,}/));
  for (const a of family.adults) {
    // By first name: the import may write last names its own way.
    const found = list.filter((cols) => cols[2] === email && cols[1]?.startsWith(`${a.firstName} `));
    expect(found, `one account for ${a.firstName} <${email}> in \`accounts list\``).toHaveLength(1);
    [a.identifier, a.name] = found[0];
  }
  return family;
}

/** A fresh address no account has (step 1 must answer as for a known one). */
export function unknownEmail(): string {
  return `personne-${randomBytes(4).toString('hex')}@inconnu.example`;
}

/** A password the default policy accepts, different each time. */
export function goodPassword(): string {
  return `Cahier-${randomBytes(3).readUIntBE(0, 3) % 1000000}-Vert`;
}

// --- e-mail, read from the SMTP sink ------------------------------------

/** One message as the sink (tools/smtpsink) shows it. */
export type Mail = { from: string; to: string[]; subject: string; text: string; html: string; received: string };

/** Every message the sink received for this address, newest first. */
export async function mailTo(address: string): Promise<Mail[]> {
  const res = await fetch(`${env('SESAME_E2E_SINK_URL')}/messages?to=${encodeURIComponent(address)}`);
  expect(res.ok, `smtpsink GET /messages: HTTP ${res.status}`).toBe(true);
  return (await res.json()) as Mail[];
}

/**
 * Makes the SMTP sink refuse address from now on (550 5.1.1, "User
 * unknown"), as a mailbox that does not exist: the e-mails to it fail for
 * good, with the server's answer.
 */
export async function rejectMail(address: string) {
  const res = await fetch(`${env('SESAME_E2E_SINK_URL')}/reject?to=${encodeURIComponent(address)}`, { method: 'POST' });
  expect(res.ok, `smtpsink POST /reject: HTTP ${res.status}`).toBe(true);
}

/**
 * Waits for the newest message to address whose subject matches, and
 * that was not in `seen` (the count of messages to that address before):
 * mail leaves through the outbox worker, a moment after the request.
 */
export async function waitForMail(address: string, subject: RegExp, opts: { seen?: number; timeout?: number } = {}): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(
      async () => {
        const all = await mailTo(address);
        const fresh = all.slice(0, Math.max(0, all.length - (opts.seen ?? 0)));
        found = fresh.find((m) => subject.test(m.subject));
        return found?.subject ?? `(none of ${all.length} message(s): ${all.map((m) => m.subject).join(' | ')})`;
      },
      { message: `an e-mail to ${address} with a subject matching ${subject}`, timeout: opts.timeout ?? 15_000, intervals: [100, 200, 400] },
    )
    .toMatch(subject);
  return found!;
}

/** The security code of a code e-mail, grouped as in the subject: "1234 5678". */
export function codeFrom(m: Mail): string {
  const match = /^(\d{4} \d{4}) /.exec(m.subject);
  expect(match, `a code at the start of the subject "${m.subject}"`).not.toBeNull();
  return match![1];
}

/** A code that is surely wrong: the right one with its last digit changed. */
export function wrongCode(code: string): string {
  const last = Number(code[code.length - 1]);
  return code.slice(0, -1) + String((last + 1) % 10);
}

// --- browsers ---------------------------------------------------------------

/**
 * Another browser (a new context, its own cookies), the same client
 * address and server as the test's. `foreign` collects the requests it
 * made to anything but the server: assert it is empty, like the fixture
 * does for the test's own context.
 */
export async function otherBrowser(
  browser: Browser,
  baseURL: string,
  clientAddress: string,
  opts: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; foreign: string[] }> {
  const context = await browser.newContext({ locale: 'fr-FR', ...opts, baseURL, extraHTTPHeaders: { 'X-Forwarded-For': clientAddress } });
  const foreign: string[] = [];
  context.on('request', (r) => {
    if (!isServerURL(r.url(), baseURL)) foreign.push(r.url());
  });
  return { context, foreign };
}

/**
 * A full-page screenshot for people to look at (never compared), attached
 * to the report and saved as test-results/screenshots/PROJECT-NAME.png.
 */
export async function screenshot(page: Page, testInfo: TestInfo, name: string) {
  const file = path.join(testInfo.project.outputDir, 'screenshots', `${testInfo.project.name}-${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
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
 * goes on and fails at its end. Then follows the page's language switch
 * (expectSwitcher).
 */
export async function expectNoAxeViolations(page: Page, testInfo: TestInfo, label: string, opts: { soft?: boolean } = {}) {
  // Legacy mode runs axe in the page itself. The default mode finishes
  // every scan in a new blank page of the context (for cross-origin
  // iframes, which Sésame has none of): 3-5 s a scan on a busy 2-core
  // machine instead of about one.
  const results = await new AxeBuilder({ page }).setLegacyMode(true).withTags(AXE_TAGS).analyze();
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
  // Each page and step scanned is also one whose language switch must
  // lead to the same page or step (guard D of issue 11).
  await expectSwitcher(page);
}
