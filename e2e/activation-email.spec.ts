// The activation's optional e-mail step (issue 14), on the phone
// profile, in French: an adult the school has no address for activates
// with their letter's code, then, under the confirmation, « Ajouter ou
// corriger mon adresse e-mail »: the address typed, a security code sent
// to it (read from the SMTP sink), typed back; the confirmation says the
// address is recorded, and the parent signs in. A wrong code says how
// many tries are left. With and without JavaScript. The limits (one code
// a minute, three per activation, five tries, thirty minutes) and the
// notice to a previous address are covered by the Go tests
// (internal/activation/email_test.go, handlers/activation_email_test.go).
import { test, expect, codeFrom, expectNoAxeViolations, goodPassword, login, screenshot, sesame, waitForMail, wrongCode } from './helpers';
import { TEXT, settled } from './recovery';
import { randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';

// The wrong code (422) is on purpose.
test.use({ allowedStatuses: [422] });

const T = {
  none: "Aucune adresse e-mail n'est enregistrée pour votre compte.",
  title: 'Ajouter ou corriger mon adresse e-mail',
  codeTitle: 'Confirmez votre adresse e-mail',
  sent: /^Un code de sécurité vient d'être envoyé à cette adresse\. Il est valable 30 minutes, jusqu'à \d{1,2} h \d\d\./,
  wrong4: "Ce code n'est pas le bon. Il vous reste 4 essais.",
  set: (masked: string) => `Votre adresse e-mail est enregistrée : ${masked}.`,
  current: (masked: string) => `Adresse e-mail enregistrée : ${masked}`,
};

function card(page: Page) {
  return page.getByTestId('activation-card');
}

async function expectStep(page: Page, n: 1 | 2 | 3 | 4) {
  await expect(card(page)).toHaveAttribute('data-step', String(n));
  await settled(page);
}

for (const js of [true, false]) {
  test.describe(`the e-mail step after activation, ${js ? 'with' : 'without'} JavaScript`, { tag: '@phone-only' }, () => {
    test.use({ javaScriptEnabled: js });

    test('an adult without an address adds one, confirms it with the code sent to it, and signs in', async ({ page }, testInfo) => {
      test.setTimeout(90_000);
      const tag = randomBytes(5).toString('hex');
      const id = `e2e-${tag}`;
      const name = 'Aïcha Benali';
      // As the import leaves an adult without e-mail: no address, no password.
      await sesame('accounts', ['add', '--last-name', 'Benali', '--first-name', 'Aïcha', '--identifier', id]);
      const issued = await sesame('activation', ['issue', id]);
      const link = /\nlink: (\S+)\n/.exec(issued)![1];
      const email = `e2e-${tag}@famille.example`;
      const masked = `e•••@famille.example`;
      const pw = goodPassword();

      await test.step('the letter, the password: the confirmation offers the optional step', async () => {
        await page.goto(link);
        await page.getByTestId('step-submit').click();
        await expectStep(page, 2);
        await page.getByTestId('field-password').fill(pw);
        await page.getByTestId('field-confirm').fill(pw);
        await page.getByTestId('step-submit').click();
        await expectStep(page, 3);
        await expect(page.getByTestId('activation-email').locator('h3')).toHaveText(T.title);
        await expect(page.getByTestId('activation-email-current')).toHaveText(T.none);
        await screenshot(page, testInfo, `activation-email-3-${js ? 'js' : 'nojs'}`);
        if (js) await expectNoAxeViolations(page, testInfo, 'activation-email-3', { soft: true });
      });

      await test.step('« Recevoir un code »: the code step', async () => {
        await page.getByTestId('activation-email-input').fill(email);
        await page.getByTestId('activation-email-send').click();
        await expectStep(page, 4);
        await expect(card(page).locator('h2')).toHaveText(T.codeTitle);
        await expect(page.getByTestId('activation-email-sentto')).toHaveText(`Adresse e-mail : ${masked}`);
        await expect(page.getByTestId('recovery-notice')).toHaveText(T.sent);
        if (js) await expectNoAxeViolations(page, testInfo, 'activation-email-4', { soft: true });
      });

      await test.step('a wrong code, then the right one: the address is recorded', async () => {
        const mail = await waitForMail(email, TEXT.fr.codeSubject);
        expect(mail.text).toContain(`identifiant ${id}`);
        const code = codeFrom(mail);
        await page.getByTestId('activation-email-code').fill(wrongCode(code));
        await page.getByTestId('step-submit').click();
        await expect(page.getByTestId('recovery-error')).toHaveText(T.wrong4);
        await expectStep(page, 4);
        await page.getByTestId('activation-email-code').fill(code);
        await page.getByTestId('step-submit').click();
        await expectStep(page, 3);
        await expect(page.getByTestId('activation-email-set')).toHaveText(T.set(masked));
        await expect(page.getByTestId('activation-email-current')).toHaveText(T.current(masked));
        await screenshot(page, testInfo, `activation-email-set-${js ? 'js' : 'nojs'}`);
        const show = await sesame('accounts', ['show', id]);
        expect(show).toMatch(new RegExp(`^e-mail\\s+${email}$`, 'm'));
      });

      await test.step('« Se connecter »', async () => {
        await page.getByTestId('activation-login').click();
        await expect(page.getByTestId('login-identifier')).toHaveValue(id);
        await login(page, id, pw, { goto: false });
        await expect(page.getByTestId('espace-greeting')).toHaveText(TEXT.fr.greeting(name));
      });
    });
  });
}
