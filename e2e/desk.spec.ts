// The secretariat desk (issue 15), against the real binary and the SMTP
// sink, on the desktop profile (an office PC; the parent's page is also
// shot at a tablet's size):
//
// - an admin is created with the command line (`sesame staff add`), sets
//   up their access from the printed link (password, then the
//   authenticator: this test computes the TOTP codes from the secret the
//   page shows, as the phone would), and signs in — once refused with a
//   wrong second factor;
// - a parent's address refuses mail (the sink answers 550 5.1.1), so the
//   security code they ask for fails; the admin finds the parent by a
//   child's name, sees the e-mail failed and the mail server's answer,
//   corrects the address (the parent is told at both), sends a new code,
//   and the parent recovers their password with it;
// - the log shows each step with the operator;
// - refused: a secretariat member trying the import (an admin action), a
//   request from outside --desk-network, and a staff session left idle
//   (on the second server, whose --desk-idle-timeout is 3 s).
//
// Screenshots of each desk page go to test-results/screenshots/.
import { createHmac, randomBytes } from 'node:crypto';
import type { Page, TestInfo } from '@playwright/test';
import {
  test,
  expect,
  codeFrom,
  expectNoAxeViolations,
  goodPassword,
  importFamily,
  otherBrowser,
  rejectMail,
  screenshot,
  sesame,
  waitForMail,
  type Instance,
} from './helpers';
import { TEXT, expectStep } from './recovery';

// The refusals are on purpose: a wrong second factor (401), a role or a
// network refused (403).
test.use({ allowedStatuses: [401, 403] });

const STAFF_PASSWORD = 'Tableau-Noir-2026';

/** RFC 4648 base32, as authenticator apps read the secret. */
function base32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const out: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

/** The code an authenticator app shows for secret at time at (RFC 6238: HMAC-SHA1, 30 s, 6 digits). */
function totp(secret: string, at = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

type Staff = { email: string; name: string; link: string; secret?: string };

/** A member added with `sesame staff add`, and the set-up link it printed. */
async function addStaff(role: 'admin' | 'secretariat', instance: Instance = 'main'): Promise<Staff> {
  const tag = randomBytes(4).toString('hex');
  const staff = { email: `staff-${tag}@ecole.example`, name: `${role === 'admin' ? 'Anne' : 'Sami'} Martin-${tag}`, link: '' };
  const out = await sesame('staff', ['add', '--email', staff.email, '--name', staff.name, '--role', role], undefined, instance);
  const m = /(http\S+\/secretariat\/installation\?t=[\w-]+)/.exec(out);
  expect(m, `the set-up link in:\n${out}`).not.toBeNull();
  staff.link = m![1];
  return staff;
}

/** The set-up from the link: password, authenticator (one code), recovery codes. */
async function enrol(page: Page, staff: Staff, shots?: TestInfo) {
  const u = new URL(staff.link);
  await page.goto(u.pathname + u.search);
  await expect(page.getByTestId('desk-setup')).toHaveAttribute('data-step', '1');
  if (shots) {
    await expectNoAxeViolations(page, shots, 'desk-setup-password', { soft: true });
    await screenshot(page, shots, 'desk-setup-1-password');
  }
  await page.getByTestId('field-new').fill(STAFF_PASSWORD);
  await page.getByTestId('field-confirm').fill(STAFF_PASSWORD);
  await page.getByTestId('desk-setup-password-submit').click();
  await expect(page.getByTestId('desk-setup')).toHaveAttribute('data-step', '2');
  await expect(page.getByTestId('desk-totp-qr')).toBeVisible();
  staff.secret = (await page.getByTestId('desk-totp-secret').textContent())!.trim();
  expect(staff.secret.replace(/ /g, '')).toMatch(/^[A-Z2-7]{32}$/);
  if (shots) {
    await expectNoAxeViolations(page, shots, 'desk-setup-totp', { soft: true });
    await screenshot(page, shots, 'desk-setup-2-authenticator');
  }
  await page.getByTestId('desk-totp-code').fill(totp(staff.secret));
  await page.getByTestId('desk-totp-submit').click();
  await expect(page.getByTestId('desk-recovery-codes').locator('li')).toHaveCount(10);
  if (shots) {
    await expectNoAxeViolations(page, shots, 'desk-setup-codes', { soft: true });
    await screenshot(page, shots, 'desk-setup-3-recovery-codes');
  }
}

/**
 * Signs in at /secretariat with the next step's code (the enrolment's is
 * spent: replays are refused; the ±1 step window takes the next one).
 */
async function signIn(page: Page, staff: Staff, code = totp(staff.secret!, Date.now() + 30_000)) {
  await page.goto('/secretariat');
  await page.getByTestId('desk-email').fill(staff.email);
  await page.getByTestId('desk-password').fill(STAFF_PASSWORD);
  await page.getByTestId('desk-code').fill(code);
  await page.getByTestId('desk-signin-submit').click();
}

test.describe('the secretariat desk', { tag: '@desktop-only' }, () => {
  test('an admin set up with the command line finds a parent by a child, sees the code e-mail failed and why, corrects the address, resends, and the parent recovers; the log shows it all', async ({
    page,
    browser,
    baseURL,
    clientAddress,
  }, testInfo) => {
    test.setTimeout(90_000);
    const admin = await addStaff('admin');
    const family = await importFamily([
      { civility: 'Mme', firstName: 'Léa', lastName: 'Bernard', link: 'Mère', children: [{ firstName: 'Anatole', className: '5e B' }] },
    ]);
    const parent = family.adults[0];
    const child = parent.children[0];
    const newEmail = family.email.replace('@', '-corrige@');
    await rejectMail(family.email);

    await test.step('set-up from the link: password, authenticator, recovery codes', async () => {
      await enrol(page, admin, testInfo);
    });

    await test.step('sign-in: a wrong second factor is refused, the right one lets in', async () => {
      const wrong = String((Number(totp(admin.secret!, Date.now() + 30_000)) + 1) % 1_000_000).padStart(6, '0');
      await signIn(page, admin, wrong);
      await expect(page.getByTestId('desk-signin-error')).toHaveText(/^Adresse, mot de passe ou code incorrect/);
      await expectNoAxeViolations(page, testInfo, 'desk-signin-refused', { soft: true });
      await screenshot(page, testInfo, 'desk-signin-refused');
      await signIn(page, admin);
      await expect(page).toHaveURL(/\/secretariat\/recherche$/);
      await expect(page.getByTestId('desk-who')).toHaveText(admin.name);
    });

    await test.step("the parent asks for a code; the school's mail server refuses the address", async () => {
      const { context } = await otherBrowser(browser, baseURL!, clientAddress);
      const p = await context.newPage();
      await p.goto('/recuperation');
      await p.getByTestId('recovery-email').fill(family.email);
      await p.getByTestId('step-submit').click();
      await expectStep(p, 2);
      await context.close();
    });

    await test.step("found by the child's name, with the keyboard, as the office types it", async () => {
      await expect(page.getByTestId('desk-search')).toBeFocused();
      await page.keyboard.type(`${child.firstName.toLowerCase()} ${child.lastName.toUpperCase()}`);
      await expect(page.getByTestId('desk-hit')).toHaveCount(1);
      await expect(page.getByTestId(`desk-hit-${parent.identifier}`)).toContainText(parent.name);
      await expectNoAxeViolations(page, testInfo, 'desk-search', { soft: true });
      await screenshot(page, testInfo, 'desk-search');
      await page.keyboard.press('Tab'); // « Rechercher »
      await page.keyboard.press('Tab'); // the first result
      await expect(page.getByTestId(`desk-hit-${parent.identifier}`)).toBeFocused();
      await page.keyboard.press('Enter');
      await expect(page.getByTestId('desk-parent-id')).toHaveText(parent.identifier);
    });

    await test.step("the parent's page: the code e-mail failed, with the mail server's answer", async () => {
      await expect(page.getByTestId('desk-parent-email')).toHaveText(family.email);
      await expect(page.getByTestId('desk-parent-children')).toContainText(`${child.firstName} ${child.lastName} — 5e B`);
      const mail = page.getByTestId('desk-mail').first();
      await expect
        .poll(
          async () => {
            await page.reload();
            return mail.getAttribute('data-status');
          },
          { message: 'the code e-mail given up', timeout: 20_000, intervals: [250, 500, 1000] },
        )
        .toBe('ko');
      await expect(mail).toContainText('Code de sécurité');
      await expect(mail.getByTestId('desk-mail-error')).toContainText(/550.*User unknown/);
      await expectNoAxeViolations(page, testInfo, 'desk-parent', { soft: true });
      await screenshot(page, testInfo, 'desk-parent-mail-failed');
    });

    await test.step('the address corrected, confirmed first; a new code sent', async () => {
      await page.getByTestId('desk-action-email').click();
      await expect(page.getByTestId('desk-confirm')).toContainText(family.email);
      await page.getByTestId('desk-new-email').fill(newEmail);
      await expectNoAxeViolations(page, testInfo, 'desk-confirm', { soft: true });
      await screenshot(page, testInfo, 'desk-confirm-email');
      await page.getByTestId('desk-confirm-submit').click();
      await expect(page.getByTestId('desk-notice')).toContainText("L'adresse e-mail est corrigée");
      await expect(page.getByTestId('desk-parent-email')).toHaveText(newEmail);
      await page.getByTestId('desk-action-code').click();
      await page.getByTestId('desk-confirm-submit').click();
      await expect(page.getByTestId('desk-notice')).toContainText('Un nouveau code de sécurité est parti');
      await screenshot(page, testInfo, 'desk-parent-code-sent');
    });

    await test.step('the parent recovers with the new code', async () => {
      const told = await waitForMail(newEmail, /^Votre adresse e-mail est enregistrée/);
      expect(told.text).toContain(parent.identifier);
      const code = codeFrom(await waitForMail(newEmail, TEXT.fr.codeSubject));
      const { context } = await otherBrowser(browser, baseURL!, clientAddress);
      const p = await context.newPage();
      await p.goto('/recuperation');
      await p.getByTestId('recovery-email').fill(newEmail);
      await p.getByTestId('step-submit').click();
      await expectStep(p, 2);
      await p.getByTestId('recovery-code').fill(code);
      await p.getByTestId('step-submit').click();
      await expectStep(p, 3);
      const pw = goodPassword();
      await p.getByTestId('field-password').fill(pw);
      await p.getByTestId('field-confirm').fill(pw);
      await p.getByTestId('step-submit').click();
      await expectStep(p, 4);
      await expect(p.getByTestId('recovery-done-identifier')).toHaveText(TEXT.fr.identifierIs(parent.identifier));
      await context.close();
    });

    await test.step('the log shows each step, with the operator', async () => {
      await page.goto(`/secretariat/journal?compte=${parent.identifier}`);
      const rows = page.getByTestId('desk-event');
      const byStaff = rows.filter({ has: page.getByTestId('desk-event-operator').getByText(`staff:${admin.email}`, { exact: true }) });
      await expect(byStaff.filter({ hasText: 'Adresse e-mail corrigée par le secrétariat' })).toHaveCount(1);
      await expect(byStaff.filter({ hasText: 'Code de sécurité envoyé par le secrétariat' })).toHaveCount(1);
      for (const what of ['Code de sécurité demandé (étape 1)', 'Code de sécurité accepté', 'Mot de passe changé']) {
        await expect(rows.filter({ hasText: what }).first()).toBeVisible();
      }
      await expect(byStaff.first().getByTestId('desk-event-outcome')).toHaveText('Fait');
      await expectNoAxeViolations(page, testInfo, 'desk-log', { soft: true });
      await screenshot(page, testInfo, 'desk-log');
    });

    await test.step("the parent's page now, on an office PC and on a tablet", async () => {
      await page.goto(`/secretariat/parent/${parent.identifier}`);
      await expect(page.getByTestId('desk-parent-state')).toHaveText('Actif');
      await screenshot(page, testInfo, 'desk-parent-after');
      await page.setViewportSize({ width: 820, height: 1180 });
      await screenshot(page, testInfo, 'desk-parent-tablet');
      await page.setViewportSize({ width: 1280, height: 720 });
    });

    await test.step("the school's view, the e-mails not delivered, the import, the sessions", async () => {
      for (const [path, name] of [
        ['/secretariat/etablissement', 'desk-school'],
        ['/secretariat/envois', 'desk-outbox'],
        ['/secretariat/import', 'desk-import'],
        ['/secretariat/sessions', 'desk-sessions'],
      ]) {
        await page.goto(path);
        await expectNoAxeViolations(page, testInfo, name, { soft: true });
        await screenshot(page, testInfo, name);
      }
      await page.goto('/secretariat/envois');
      await expect(page.getByTestId('desk-mail').filter({ hasText: family.email }).first()).toContainText('Échec');
      // An admin sees every member's sessions (other tests' too): one is
      // this browser's, which ends it.
      await page.goto('/secretariat/sessions');
      await expect(page.getByTestId('desk-session').filter({ hasText: admin.email })).toHaveCount(1);
      await page.getByTestId('desk-session-end-current').click();
      await expect(page.getByTestId('desk-notice')).toHaveText('Vous êtes déconnecté du secrétariat.');
    });
  });

  test('refused: a secretariat member trying an admin action, a request from outside --desk-network', async ({ page, browser, baseURL }, testInfo) => {
    const sec = await addStaff('secretariat');
    await enrol(page, sec);
    await signIn(page, sec);
    await expect(page).toHaveURL(/\/secretariat\/recherche$/);
    await expect(page.getByTestId('desk-nav-import')).toHaveCount(0);
    const resp = await page.goto('/secretariat/import');
    expect(resp!.status()).toBe(403);
    await expect(page.getByTestId('desk-error')).toContainText('Votre rôle ne permet pas cette action');
    await expectNoAxeViolations(page, testInfo, 'desk-refused-role', { soft: true });
    await screenshot(page, testInfo, 'desk-refused-role');

    const { context } = await otherBrowser(browser, baseURL!, '192.0.2.77');
    const out = await context.newPage();
    const r = await out.goto('/secretariat');
    expect(r!.status()).toBe(403);
    await expect(out.getByTestId('desk-error')).toContainText("réseau de l'établissement");
    await expect(out.getByTestId('desk-email')).toHaveCount(0);
    await screenshot(out, testInfo, 'desk-refused-network');
    // The parents' pages are not concerned.
    expect((await out.goto('/'))!.status()).toBe(200);
    await context.close();
  });

  test.describe('with a 3-second idle timeout', () => {
    test.use({ instance: 'short' });
    test('refused: a staff session left idle goes back to the sign-in, saying why', async ({ page }, testInfo) => {
      const sec = await addStaff('secretariat', 'short');
      await enrol(page, sec);
      await signIn(page, sec);
      await expect(page).toHaveURL(/\/secretariat\/recherche$/);
      await page.waitForTimeout(4_000);
      await page.goto('/secretariat/etablissement');
      await expect(page).toHaveURL(/\/secretariat\?msg=idle$/);
      await expect(page.getByTestId('desk-notice')).toContainText("faute d'activité");
      await expectNoAxeViolations(page, testInfo, 'desk-signin-idle', { soft: true });
      await screenshot(page, testInfo, 'desk-signin-idle');
    });
  });
});
