// The whole recovery without JavaScript: every step is a real
// <form method="post">; the server answers a success with a redirect to
// GET /recuperation (post/redirect/get), which resumes the step from the
// flow cookie, and a mistake with the whole page again.
import { test, expect, expectSwitcher, createParent, codeFrom, goodPassword, mailTo, screenshot, waitForMail, wrongCode } from './helpers';
import { TEXT, card, expectStep, rule } from './recovery';

// The refused codes and passwords (422) are on purpose.
test.use({ allowedStatuses: [422] });

test.describe('recovery without JavaScript', { tag: '@phone-only' }, () => {
  test.use({ javaScriptEnabled: false });

  test('the whole flow works as plain pages: Annuler, wrong code, reopened page, policy error, confirmation, sign-in', async ({ page }, testInfo) => {
    test.setTimeout(60_000);
    const T = TEXT.fr;
    const parent = await createParent();

    await test.step('Annuler returns to the login page', async () => {
      await page.goto('/');
      // The login page's show/hide button needs the script too: not shown.
      await expect(page.locator('[data-toggle-password]')).toHaveCount(1);
      await expect(page.locator('[data-toggle-password]')).toBeHidden();
      await page.getByTestId('recovery-link').click();
      await expectStep(page, 1);
      await page.getByTestId('step-cancel').click();
      await expect(page).toHaveURL((u) => u.pathname === '/');
      await expect(page.getByTestId('login-identifier')).toBeVisible();
    });

    await test.step('step 1 → step 2 through a redirect', async () => {
      await page.getByTestId('recovery-link').click();
      await expectStep(page, 1);
      await page.getByTestId('recovery-email').fill(parent.email);
      await page.getByTestId('step-submit').click();
      await expect(page).toHaveURL((u) => u.pathname === '/recuperation');
      await expectStep(page, 2);
      await expectSwitcher(page);
      await expect(page.getByTestId('recovery-notice')).toHaveText(T.sent);
      await expect(page.getByTestId('recovery-masked-email')).toContainText('e•••@famille.example');
    });

    const code = codeFrom(await waitForMail(parent.email, T.codeSubject));

    await test.step('a wrong code: the page again with the tries left', async () => {
      await page.getByTestId('recovery-code').fill(wrongCode(code));
      await page.getByTestId('step-submit').click();
      await expect(page.getByTestId('recovery-error')).toHaveText(T.wrong4);
      await expectStep(page, 2);
      await expectSwitcher(page);
      await screenshot(page, testInfo, 'fr-nojs-2-code-wrong');
    });

    await test.step('the page opened again resumes step 2', async () => {
      await page.goto('/recuperation');
      await expectStep(page, 2);
      await expect(page.getByTestId('recovery-error')).toHaveCount(0);
    });

    await test.step('the right code, with a space: step 3', async () => {
      await page.getByTestId('recovery-code').fill(code);
      await page.getByTestId('step-submit').click();
      await expect(page).toHaveURL((u) => u.pathname === '/recuperation');
      await expectStep(page, 3);
      await expectSwitcher(page);
      await expect(page.getByTestId('recovery-identifier')).toHaveText(T.identifierIs(parent.identifier));
      // The show/hide toggles cannot work without the script: not shown
      // (the `hidden` attribute, which app.css makes win over the buttons'
      // display).
      const toggles = card(page).locator('[data-toggle-password]');
      await expect(toggles).toHaveCount(2);
      for (const t of await toggles.all()) await expect(t).toBeHidden();
    });

    await test.step('a common password: refused by the server, the rule marked', async () => {
      await page.getByTestId('field-password').fill('azerty123');
      await page.getByTestId('field-confirm').fill('azerty123');
      await page.getByTestId('step-submit').click();
      await expectStep(page, 3);
      await expectSwitcher(page);
      await expect(page.getByTestId('error-password')).toHaveText(T.policy);
      await expect(rule(page, 'policy.common')).toHaveClass(/\bko\b/);
      await screenshot(page, testInfo, 'fr-nojs-3-password-policy');
    });

    const next = goodPassword();
    await test.step('a valid password: the confirmation, then sign in', async () => {
      await page.getByTestId('field-password').fill(next);
      await page.getByTestId('field-confirm').fill(next);
      await page.getByTestId('step-submit').click();
      await expectStep(page, 4);
      await expectSwitcher(page);
      await expect(page.getByTestId('recovery-done-identifier')).toHaveText(T.identifierIs(parent.identifier));
      await page.getByTestId('recovery-login').click();
      await expect(page.getByTestId('login-identifier')).toHaveValue(parent.identifier);
      await page.getByTestId('login-password').fill(next);
      await page.getByTestId('login-submit').click();
      await expect(page.getByTestId('espace-greeting')).toHaveText(T.greeting(parent.name));
    });

    await test.step('the "password changed" e-mail', async () => {
      const changed = await waitForMail(parent.email, T.changedSubject);
      expect(changed.text).toContain(parent.identifier);
      expect((await mailTo(parent.email)).filter((m) => T.codeSubject.test(m.subject))).toHaveLength(1);
    });
  });
});
