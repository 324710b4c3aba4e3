// Sésame as the school's OpenID Connect provider (issue 16), seen from a
// parent's phone: a parent who forgot the password starts at the
// school's application (tools/oidcrp, a tiny Moodle: x/oauth2 and
// coreos/go-oidc, started here on a port of its own), is sent to the
// portal's login page — which names the application — goes through the
// recovery (the code read from the e-mail the server sent), signs in
// with the new password and lands back in the application, signed in.
// In French and in English.
//
// The application is registered with `sesame oidc clients add` on the
// server global setup started, once per worker.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test, expect, codeFrom, createParent, expectNoAxeViolations, goodPassword, screenshot, waitForMail } from './helpers';
import { TEXT, card, expectStep, type Lang } from './recovery';

const APP = {
  fr: { title: 'Connexion à Moodle', intro: /pour continuer vers Moodle\.$/, greeting: (n: string) => `Bonjour, ${n}` },
  en: { title: 'Sign in to Moodle', intro: /to continue to Moodle\.$/, greeting: (n: string) => `Bonjour, ${n}` },
} as const;

// The application's origin, filled in beforeAll: the test's browser may
// load its pages (the shared fixture fails on any other origin).
const rpOrigins: string[] = [];
test.use({ otherOrigins: rpOrigins });

let rp: ChildProcess | undefined;
let rpURL = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (a && typeof a !== 'string' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SESAME_')) e[k] = v;
  return { ...e, ...extra };
}

test.beforeAll(async () => {
  const bin = process.env.SESAME_E2E_BIN!;
  const root = path.resolve(path.dirname(bin), '..');
  const rpBin = path.join(root, 'bin', 'oidcrp');
  if (!fs.existsSync(rpBin)) {
    execFileSync('go', ['build', '-o', rpBin, './tools/oidcrp'], { cwd: root, stdio: 'inherit' });
  }
  const port = await freePort();
  rpURL = `http://127.0.0.1:${port}`;
  const out = execFileSync(bin, ['oidc', '--data', process.env.SESAME_E2E_DATA!, 'clients', 'add', '--name', 'Moodle', '--redirect-uri', `${rpURL}/cb`], {
    env: cleanEnv(),
    encoding: 'utf8',
  });
  const id = /client ID\s+(\S+)/.exec(out)?.[1];
  const secret = /client secret\s+(\S+)/.exec(out)?.[1];
  expect(id && secret, `clients add printed:\n${out}`).toBeTruthy();
  rp = spawn(rpBin, ['-addr', `127.0.0.1:${port}`, '-issuer', process.env.SESAME_E2E_BASE_URL!, '-client-id', id!], {
    env: cleanEnv({ OIDCRP_CLIENT_SECRET: secret! }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`oidcrp not ready after 15 s:\n${log}`)), 15_000);
    rp!.stdout!.on('data', (d) => {
      log += d;
      if (log.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    rp!.stderr!.on('data', (d) => (log += d));
    rp!.on('exit', (code) => reject(new Error(`oidcrp exited (${code}):\n${log}`)));
  });
  rpOrigins.push(rpURL);
});

test.afterAll(async () => {
  rp?.kill('SIGTERM');
});

for (const lang of ['fr', 'en'] as const satisfies readonly Lang[]) {
  test.describe(`signing in to an application through a recovery (${lang})`, { tag: '@phone-only' }, () => {
    if (lang === 'en') test.use({ locale: 'en-GB' });

    test(`forgot the password at the application, recovered it, back at the application (${lang})`, async ({ page }, testInfo) => {
      test.setTimeout(90_000);
      const T = TEXT[lang];
      const A = APP[lang];
      const parent = await createParent({ firstName: 'Camille', lastName: 'Roux' });

      await test.step('the application sends the parent to the portal, which names it', async () => {
        await page.goto(`${rpURL}/`);
        await page.getByTestId('rp-login').click();
        await expect(page).toHaveURL((u) => u.pathname === '/connexion' && u.searchParams.has('demande'));
        await expect(page.getByTestId('login-title')).toHaveText(A.title);
        await expect(page.getByTestId('login-app')).toHaveText(A.intro);
        await screenshot(page, testInfo, `oidc-${lang}-1-login`);
        await expectNoAxeViolations(page, testInfo, `oidc-login-${lang}`, { soft: true });
      });

      await test.step('« forgot »: the recovery, its code from the e-mail', async () => {
        await page.getByTestId('recovery-link').click();
        await expectStep(page, 1);
        await page.getByTestId('recovery-email').fill(parent.email);
        await page.getByTestId('step-submit').click();
        await expectStep(page, 2);
        const code = codeFrom(await waitForMail(parent.email, T.codeSubject));
        await page.getByTestId('recovery-code').fill(code);
        await page.getByTestId('step-submit').click();
        await expectStep(page, 3);
      });

      const next = goodPassword();
      await test.step('a new password: the confirmation', async () => {
        await page.getByTestId('field-password').fill(next);
        await page.getByTestId('field-confirm').fill(next);
        await page.getByTestId('step-submit').click();
        await expectStep(page, 4);
        await expect(card(page)).toContainText(T.done);
      });

      await test.step('the login page still names the application, and the password leads back to it', async () => {
        await page.getByTestId('recovery-login').click();
        await expect(page.getByTestId('login-title')).toHaveText(A.title);
        await expect(page.getByTestId('login-identifier')).toHaveValue(parent.identifier);
        await page.getByTestId('login-password').fill(next);
        await page.getByTestId('login-submit').click();
        await expect(page).toHaveURL((u) => u.origin === rpURL && u.pathname === '/cb');
        await expect(page.getByTestId('rp-user')).toHaveText(A.greeting(parent.name));
        await expect(page.getByTestId('rp-username')).toHaveText(parent.identifier);
        await expect(page.getByTestId('rp-email')).toHaveText(parent.email);
        await screenshot(page, testInfo, `oidc-${lang}-2-back`);
      });

      await test.step('signed in to the portal: the next sign-in needs no form', async () => {
        await page.goto(`${rpURL}/`);
        await page.getByTestId('rp-login').click();
        await expect(page).toHaveURL((u) => u.origin === rpURL && u.pathname === '/cb');
        await expect(page.getByTestId('rp-user')).toHaveText(A.greeting(parent.name));
      });
    });
  });
}

// The parent's space lists the school's applications.
test('the parent\'s space is a launcher', { tag: '@phone-only' }, async ({ page }, testInfo) => {
  const parent = await createParent();
  await page.goto('/');
  await page.getByTestId('login-identifier').fill(parent.identifier);
  await page.getByTestId('login-password').fill(parent.password);
  await page.getByTestId('login-submit').click();
  const launcher = page.getByTestId('launcher');
  await expect(launcher).toBeVisible();
  // Each worker registered its own Moodle: this one's links to its address.
  await expect(launcher.locator(`a[href="${rpURL}/"]`)).toHaveCount(1);
  await expect(launcher.locator(`a[href="${rpURL}/"]`)).toHaveAccessibleName('Moodle');
  await screenshot(page, testInfo, 'oidc-launcher');
  await expectNoAxeViolations(page, testInfo, 'oidc-launcher');
});
