// « Récupérer son identifiant et son mot de passe », with JavaScript (htmx
// swaps the card at each step), on the phone profile, in French and in
// English. The security code is read from the e-mail the server really
// sent (SMTP, to the sink global setup started).
//
// Each test walks several screens in one browser context (contexts are
// the slow part on a small machine). At each step: an axe scan (soft, so
// one step's violations do not hide the next one's) and a screenshot
// for people to look at (test-results/screenshots/, and the report).
// The desktop profile's axe scans of the same steps are in the keyboard
// run (recovery-keyboard.spec.ts).
import {
  test,
  expect,
  createParent,
  codeFrom,
  expectNoAxeViolations,
  goodPassword,
  login,
  mailTo,
  otherBrowser,
  screenshot,
  unknownEmail,
  waitForMail,
  wrongCode,
} from './helpers';
import { TEXT, card, expectStep, policyBreakers, rule, shape, type Lang } from './recovery';

// The refused codes and passwords (422) are on purpose.
test.use({ allowedStatuses: [422] });

for (const lang of ['fr', 'en'] as const satisfies readonly Lang[]) {
  test.describe(`recovery with JavaScript (${lang})`, { tag: '@phone-only' }, () => {
    // English: the browser asks for it (Accept-Language), the server follows.
    if (lang === 'en') test.use({ locale: 'en-GB' });

    test(`the whole flow: unknown address, wrong then right code, each policy rule, confirmation, sign-in, other sessions ended (${lang})`, async ({
      page,
      browser,
      baseURL,
      clientAddress,
    }, testInfo) => {
      test.setTimeout(120_000);
      const T = TEXT[lang];
      const parent = await createParent({ lastName: 'Bernard' });
      const unknown = unknownEmail();

      // The parent is still signed in on another device: changing the
      // password must end that session.
      const elsewhere = await otherBrowser(browser, baseURL!, clientAddress, { locale: lang === 'en' ? 'en-GB' : 'fr-FR' });
      const old = await elsewhere.context.newPage();
      await login(old, parent.identifier, parent.password);
      await expect(old.getByTestId('espace-greeting')).toHaveText(T.greeting(parent.name));

      await test.step('the login page links to step 1', async () => {
        await page.goto('/');
        await expect(page.locator('html')).toHaveAttribute('lang', lang);
        await expect(page.getByTestId('recovery-link')).toHaveText(T.loginLink);
        await page.getByTestId('recovery-link').click();
        await expect(page).toHaveURL((u) => u.pathname === '/recuperation');
        await expectStep(page, 1);
        await expect(card(page).locator('h1')).toHaveText(T.title);
        await expect(card(page).locator('h2')).toHaveText(T.step1);
        // The accessible names (the spinner inside the button is aria-hidden).
        await expect(page.getByTestId('step-submit')).toHaveAccessibleName(T.submit);
        await expect(page.getByTestId('step-cancel')).toHaveAccessibleName(T.cancel);
        const email = page.getByTestId('recovery-email');
        await expect(email).toHaveAttribute('type', 'email');
        await expect(email).toHaveAttribute('autocomplete', 'email');
        await screenshot(page, testInfo, `${lang}-1-email`);
        await expectNoAxeViolations(page, testInfo, `recovery-1-email-${lang}`, { soft: true });
      });

      let unknownShape: string[] = [];
      let unknownNotice = '';
      await test.step('an unknown address gets the same step 2 (and no e-mail)', async () => {
        await page.getByTestId('recovery-email').fill(unknown);
        await page.getByTestId('step-submit').click();
        await expectStep(page, 2);
        await expect(page.getByTestId('recovery-notice')).toHaveText(T.sent);
        await expect(page.getByTestId('recovery-masked-email')).toContainText(`p•••@inconnu.example`);
        await expect(page.getByTestId('recovery-code')).toBeVisible();
        unknownNotice = await page.getByTestId('recovery-notice').innerText();
        unknownShape = await shape(page);
        // « Changer d'adresse e-mail »: back to step 1.
        await page.getByTestId('change-email').click();
        await expectStep(page, 1);
      });

      let code = '';
      await test.step('a known address: step 2, the code arrives by e-mail', async () => {
        await page.getByTestId('recovery-email').fill(parent.email);
        await page.getByTestId('step-submit').click();
        await expectStep(page, 2);
        await expect(card(page).locator('h2')).toHaveText(T.step2);
        await expect(page.getByTestId('recovery-notice')).toHaveText(unknownNotice);
        await expect(page.getByTestId('recovery-masked-email')).toContainText('e•••@famille.example');
        expect(await shape(page), 'step 2 looks the same for a known and an unknown address').toEqual(unknownShape);
        const field = page.getByTestId('recovery-code');
        await expect(field).toHaveAttribute('autocomplete', 'one-time-code');
        await expect(field).toHaveAttribute('inputmode', 'numeric');
        await expect(page.getByTestId('resend')).toHaveText(T.resend);

        const mail = await waitForMail(parent.email, T.codeSubject);
        code = codeFrom(mail);
        expect(mail.to).toEqual([parent.email]);
        expect(mail.text).toContain(parent.identifier);
        expect(mail.text).toContain(code);
        expect(mail.html).toContain(parent.identifier);
        await screenshot(page, testInfo, `${lang}-2-code`);
        await expectNoAxeViolations(page, testInfo, `recovery-2-code-${lang}`, { soft: true });
      });

      await test.step('a wrong code: the tries left', async () => {
        await page.getByTestId('recovery-code').fill(wrongCode(code));
        await page.getByTestId('step-submit').click();
        await expect(page.getByTestId('recovery-error')).toHaveText(T.wrong4);
        await expectStep(page, 2);
        await expect(page.getByTestId('recovery-code')).toHaveAttribute('aria-invalid', 'true');
        await screenshot(page, testInfo, `${lang}-2-code-wrong`);
        await expectNoAxeViolations(page, testInfo, `recovery-2-wrong-code-${lang}`, { soft: true });
      });

      await test.step('a reload in the middle resumes step 2', async () => {
        await page.reload();
        await expectStep(page, 2);
        await expect(page.getByTestId('recovery-masked-email')).toContainText('e•••@famille.example');
        await expect(page.getByTestId('recovery-code')).toBeVisible();
      });

      await test.step('the right code, pasted with a dash: step 3', async () => {
        await page.getByTestId('recovery-code').fill(code.replace(' ', '-'));
        await page.getByTestId('step-submit').click();
        await expectStep(page, 3);
        await expect(card(page).locator('h2')).toHaveText(T.step3);
        await expect(page.getByTestId('recovery-identifier')).toHaveText(T.identifierIs(parent.identifier));
        // A visually hidden username field, so password managers save the pair.
        await expect(card(page).locator('input[autocomplete="username"]')).toHaveValue(parent.identifier);
        await expect(page.getByTestId('field-password')).toHaveAttribute('autocomplete', 'new-password');
        await expect(page.getByTestId('field-confirm')).toHaveAttribute('autocomplete', 'new-password');
        await expect(page.getByTestId('policy-link')).toHaveAttribute('href', '/politique-mot-de-passe');
        await expect(page.getByTestId('rules').locator('li[data-rule]')).toHaveCount(6);

        // Show / hide (JavaScript only).
        const toggle = card(page).locator('[data-toggle-password="password"]');
        await expect(toggle).toBeVisible();
        await page.getByTestId('field-password').fill('Essai-123');
        await toggle.click();
        await expect(page.getByTestId('field-password')).toHaveAttribute('type', 'text');
        await expect(toggle).toHaveAttribute('aria-pressed', 'true');
        await toggle.click();
        await expect(page.getByTestId('field-password')).toHaveAttribute('type', 'password');
        await expect(toggle).toHaveAttribute('aria-pressed', 'false');

        await screenshot(page, testInfo, `${lang}-3-password`);
        await expectNoAxeViolations(page, testInfo, `recovery-3-password-${lang}`, { soft: true });
      });

      await test.step('each policy rule, ticked live and re-checked on submit', async () => {
        for (const [id, pw] of policyBreakers(parent)) {
          await test.step(id, async () => {
            await page.getByTestId('field-password').fill(pw);
            // Live: the server re-renders the list as the parent types.
            await expect(rule(page, id), `${id} ticked live for "${pw}"`).toHaveClass(/\bko\b/);
            await page.getByTestId('field-confirm').fill(pw);
            await page.getByTestId('step-submit').click();
            await expect(page.getByTestId('error-password')).toHaveText(T.policy);
            await expectStep(page, 3);
            await expect(rule(page, id), `${id} after submitting "${pw}"`).toHaveClass(/\bko\b/);
            const field = page.getByTestId('field-password');
            await expect(field).toHaveAttribute('aria-invalid', 'true');
            await expect(field).toHaveAttribute('aria-describedby', /\bpassword-error\b/);
          });
        }
        // The live list also turns rules green: a short password with a
        // digit and a letter breaks only the length.
        await page.getByTestId('field-password').fill('Abc-12');
        await expect(rule(page, 'policy.length')).toHaveClass(/\bko\b/);
        await expect(rule(page, 'policy.digit')).toHaveClass(/\bok\b/);
        await expect(rule(page, 'policy.letter')).toHaveClass(/\bok\b/);
        await screenshot(page, testInfo, `${lang}-3-password-policy`);
        await expectNoAxeViolations(page, testInfo, `recovery-3-policy-error-${lang}`, { soft: true });

        // The two fields differ: said on the confirmation field.
        await page.getByTestId('field-password').fill(goodPassword());
        await page.getByTestId('field-confirm').fill(goodPassword());
        await page.getByTestId('step-submit').click();
        await expect(page.getByTestId('error-confirm')).toHaveText(T.mismatch);
        await expect(page.getByTestId('field-confirm')).toHaveAttribute('aria-invalid', 'true');
        await expect(page.getByTestId('field-confirm')).toHaveAttribute('aria-describedby', /\bconfirm-error\b/);
      });

      const next = goodPassword();
      await test.step('a valid password: the confirmation', async () => {
        await page.getByTestId('field-password').fill(next);
        for (const id of ['policy.length', 'policy.digit', 'policy.letter', 'policy.personal', 'policy.common', 'policy.predictable']) {
          await expect(rule(page, id)).toHaveClass(/\bok\b/);
        }
        await page.getByTestId('field-confirm').fill(next);
        await page.getByTestId('step-submit').click();
        await expectStep(page, 4);
        await expect(page.getByTestId('recovery-done')).toBeVisible();
        await expect(card(page)).toContainText(T.done);
        await expect(page.getByTestId('recovery-done-identifier')).toHaveText(T.identifierIs(parent.identifier));
        await expect(page.getByTestId('recovery-login')).toHaveAttribute('href', `/?identifiant=${parent.identifier}`);
        await screenshot(page, testInfo, `${lang}-4-done`);
        await expectNoAxeViolations(page, testInfo, `recovery-4-done-${lang}`, { soft: true });
      });

      await test.step('the session on the other device is over', async () => {
        await old.goto('/espace');
        await expect(old).toHaveURL((u) => u.pathname === '/');
        await expect(old.getByTestId('espace-greeting')).toHaveCount(0);
        await elsewhere.context.close();
        expect(elsewhere.foreign, 'requests from the other browser to something other than the server').toEqual([]);
      });

      await test.step('sign in with the new password, the identifier filled in', async () => {
        await page.getByTestId('recovery-login').click();
        await expect(page).toHaveURL((u) => u.pathname === '/');
        await expect(page.getByTestId('login-identifier')).toHaveValue(parent.identifier);
        await page.getByTestId('login-password').fill(next);
        await page.getByTestId('login-submit').click();
        await expect(page.getByTestId('espace-greeting')).toHaveText(T.greeting(parent.name));
      });

      await test.step('e-mails: "password changed" to the parent, nothing to the unknown address', async () => {
        const changed = await waitForMail(parent.email, T.changedSubject);
        expect(changed.text).toContain(parent.identifier);
        expect(changed.text).not.toContain(next);
        expect(await mailTo(unknown)).toEqual([]);
      });
    });
  });
}

test.describe('recovery with JavaScript, special cases', { tag: '@phone-only' }, () => {
  test('a family address with two accounts: the mail lists both, the parent picks one; Annuler; reload at step 3', async ({ page }, testInfo) => {
    test.setTimeout(90_000);
    const T = TEXT.fr;
    const family = `famille-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}@famille.example`;
    const paul = await createParent({ email: family, firstName: 'Paul', lastName: 'Martin' });
    // Imported from the school's export, never activated: no password yet.
    const julie = await createParent({ email: family, firstName: 'Julie', lastName: 'Martin', imported: true });

    await test.step('Annuler returns to the login page', async () => {
      await page.goto('/recuperation');
      await expectStep(page, 1);
      await page.getByTestId('step-cancel').click();
      await expect(page).toHaveURL((u) => u.pathname === '/');
      await expect(page.getByTestId('login-identifier')).toBeVisible();
      await expect(page.getByTestId('recovery-card')).toHaveCount(0);
    });

    let code = '';
    await test.step('one e-mail lists both identifiers', async () => {
      await page.getByTestId('recovery-link').click();
      await expectStep(page, 1);
      await page.getByTestId('recovery-email').fill(family);
      await page.getByTestId('step-submit').click();
      await expectStep(page, 2);
      const mail = await waitForMail(family, T.codeSubject);
      expect(mail.text).toContain(paul.identifier);
      expect(mail.text).toContain(julie.identifier);
      const codeMails = (await mailTo(family)).filter((m) => T.codeSubject.test(m.subject));
      expect(codeMails, 'one code e-mail for the whole family').toHaveLength(1);
      code = codeFrom(mail);
    });

    await test.step('step 3 offers both identifiers; a reload keeps step 3', async () => {
      await page.getByTestId('recovery-code').fill(code.replace(' ', ''));
      await page.getByTestId('step-submit').click();
      await expectStep(page, 3);
      await expect(page.getByTestId('recovery-identifier')).toHaveCount(0);
      await expect(page.getByTestId(`pick-${paul.identifier}`)).toBeVisible();
      await expect(page.getByTestId(`pick-${julie.identifier}`)).toBeVisible();
      await page.reload();
      await expectStep(page, 3);
      await expect(page.getByTestId(`pick-${julie.identifier}`)).toBeVisible();
      await screenshot(page, testInfo, 'fr-3-password-family');
      await expectNoAxeViolations(page, testInfo, 'recovery-3-family-fr', { soft: true });
    });

    const next = goodPassword();
    let seenBefore = 0;
    await test.step("Julie's password: her name is refused, then a valid one", async () => {
      await page.getByTestId(`pick-${julie.identifier}`).check();
      // The rules follow the chosen account: "Julie" is her name, not Paul's.
      await page.getByTestId('field-password').fill('Julie-Velo-2026');
      await expect(rule(page, 'policy.personal')).toHaveClass(/\bko\b/);
      await page.getByTestId('field-confirm').fill('Julie-Velo-2026');
      await page.getByTestId('step-submit').click();
      await expect(page.getByTestId('error-password')).toHaveText(T.policy);
      await expect(page.getByTestId(`pick-${julie.identifier}`)).toBeChecked();

      seenBefore = (await mailTo(family)).length;
      await page.getByTestId('field-password').fill(next);
      await page.getByTestId('field-confirm').fill(next);
      await page.getByTestId('step-submit').click();
      await expectStep(page, 4);
      await expect(page.getByTestId('recovery-done-identifier')).toHaveText(T.identifierIs(julie.identifier));
    });

    await test.step('Julie signs in for the first time; the "password changed" e-mail names her identifier', async () => {
      await page.getByTestId('recovery-login').click();
      await expect(page.getByTestId('login-identifier')).toHaveValue(julie.identifier);
      await page.getByTestId('login-password').fill(next);
      await page.getByTestId('login-submit').click();
      await expect(page.getByTestId('espace-greeting')).toHaveText(T.greeting(julie.name));
      // (Paul's password, set when his account was created, sent one too.)
      const changed = await waitForMail(family, new RegExp(T.changedSubject.source), { seen: seenBefore });
      expect(changed.text).toContain(julie.identifier);
      expect(changed.text).not.toContain(paul.identifier);
    });
  });

  test.describe('on the server whose codes live 3 seconds', () => {
    test.use({ instance: 'short' });

    test('an expired code is refused, a new one offered; Annuler ends the flow', async ({ page }, testInfo) => {
      test.setTimeout(60_000);
      const T = TEXT.fr;
      const parent = await createParent({ instance: 'short' });
      const ttl = Number.parseFloat(process.env.SESAME_E2E_SHORT_CODE_TTL ?? '3') * 1000;

      await page.goto('/recuperation');
      await page.getByTestId('recovery-email').fill(parent.email);
      await page.getByTestId('step-submit').click();
      await expectStep(page, 2);
      const shownAt = Date.now(); // the code was made before step 2 came back
      const code = codeFrom(await waitForMail(parent.email, T.codeSubject));

      await page.waitForTimeout(Math.max(0, shownAt + ttl + 500 - Date.now()));
      await page.getByTestId('recovery-code').fill(code);
      await page.getByTestId('step-submit').click();
      await expect(page.getByTestId('recovery-error')).toHaveText(T.expired);
      await expectStep(page, 2);
      // A dead end names the school office.
      await expect(page.getByTestId('help')).toContainText(T.help);
      await expect(page.getByTestId('help')).toContainText('01 23 45 67 89');
      // A new code is offered, after the cooldown.
      await expect(page.getByTestId('resend')).toBeVisible();
      await expect(page.getByTestId('resend-wait')).toBeVisible();
      await screenshot(page, testInfo, 'fr-2-code-expired');
      await expectNoAxeViolations(page, testInfo, 'recovery-2-expired-fr', { soft: true });
      await page.getByTestId('resend').click();
      await expect(page.getByTestId('recovery-error')).toHaveText(T.cooldown);

      await page.getByTestId('step-cancel').click();
      await expect(page).toHaveURL((u) => u.pathname === '/');
      await expect(page.getByTestId('login-identifier')).toBeVisible();
      await page.goto('/recuperation');
      await expectStep(page, 1);
    });
  });
});
