// A family address, with JavaScript (htmx swaps the card): two parents'
// identifiers share one e-mail address. The code e-mail lists both; step 3
// asks which one (nothing picked, each with its holder's name); the
// confirmation offers the other identifier while the verified flow lasts,
// and « Recommencer » once every identifier is done. Both then sign in.
import { test, expect, createParent, codeFrom, expectNoAxeViolations, goodPassword, login, screenshot, waitForMail } from './helpers';
import { TEXT, card, expectStep } from './recovery';

// The step-3 form sent without a pick (422) is on purpose.
test.use({ allowedStatuses: [422] });

test.describe('recovery for a family address (fr)', { tag: '@phone-only' }, () => {
  test('set each identifier of the address in one verified flow, then both sign in', async ({ page }, testInfo) => {
    test.setTimeout(90_000);
    const T = TEXT.fr;
    const first = await createParent({ firstName: 'Lucie', lastName: 'Bernard' });
    const second = await createParent({ firstName: 'Hugo', lastName: 'Bernard', email: first.email });

    await test.step('step 1 and 2: the code e-mail lists both identifiers', async () => {
      await page.goto('/recuperation');
      await page.getByTestId('recovery-email').fill(first.email);
      await page.getByTestId('step-submit').click();
      await expectStep(page, 2);
      const mail = await waitForMail(first.email, T.codeSubject);
      expect(mail.text).toContain(first.identifier);
      expect(mail.text).toContain(second.identifier);
      await page.getByTestId('recovery-code').fill(codeFrom(mail));
      await page.getByTestId('step-submit').click();
      await expectStep(page, 3);
    });

    const passwords = new Map<string, string>();
    await test.step('step 3: nothing picked, each identifier with its holder', async () => {
      for (const p of [first, second]) {
        await expect(page.getByTestId(`pick-${p.identifier}`)).not.toBeChecked();
        await expect(page.getByTestId(`pick-name-${p.identifier}`)).toHaveText(`au nom de ${p.name}`);
      }
      await screenshot(page, testInfo, 'fr-family-3-pick');
      await expectNoAxeViolations(page, testInfo, 'recovery-family-3-pick-fr', { soft: true });
      // Submitted without a pick: asked to choose.
      const pw = goodPassword();
      await page.getByTestId('field-password').fill(pw);
      await page.getByTestId('field-confirm').fill(pw);
      await page.getByTestId('step-submit').click();
      await expect(page.getByTestId('recovery-error')).toHaveText('Choisissez un des identifiants proposés.');
      await page.getByTestId(`pick-${second.identifier}`).check();
      await page.getByTestId('field-password').fill(pw);
      await page.getByTestId('field-confirm').fill(pw);
      await page.getByTestId('step-submit').click();
      await expectStep(page, 4);
      await expect(page.getByTestId('recovery-done-identifier')).toHaveText(T.identifierIs(second.identifier));
      passwords.set(second.identifier, pw);
    });

    await test.step('the confirmation offers the other identifier of the address', async () => {
      const another = page.getByTestId('recovery-another');
      await expect(another).toHaveText("Définir le mot de passe d'un autre identifiant de cette adresse");
      await expect(page.getByTestId('recovery-restart')).toHaveCount(0);
      await screenshot(page, testInfo, 'fr-family-4-another');
      await expectNoAxeViolations(page, testInfo, 'recovery-family-4-another-fr', { soft: true });
      await another.click();
      await expectStep(page, 3);
      // Only the identifier not done yet, no code asked again.
      await expect(page.getByTestId('recovery-identifier')).toHaveText(T.identifierIs(first.identifier));
      await expect(card(page).locator('input[type="radio"]')).toHaveCount(0);
      const pw = goodPassword();
      await page.getByTestId('field-password').fill(pw);
      await page.getByTestId('field-confirm').fill(pw);
      await page.getByTestId('step-submit').click();
      await expectStep(page, 4);
      await expect(page.getByTestId('recovery-done-identifier')).toHaveText(T.identifierIs(first.identifier));
      passwords.set(first.identifier, pw);
      // Every identifier done: start again instead.
      await expect(page.getByTestId('recovery-another')).toHaveCount(0);
      await expect(page.getByTestId('recovery-restart')).toHaveText('Recommencer');
    });

    await test.step('both sign in with their new password', async () => {
      for (const p of [first, second]) {
        await page.context().clearCookies();
        await login(page, p.identifier, passwords.get(p.identifier)!);
        await expect(page.getByTestId('espace-greeting')).toHaveText(T.greeting(p.name));
      }
    });
  });
});
