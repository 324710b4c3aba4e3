// « Première connexion ? Activer mon compte », on the phone profile, in
// French: an imported parent (no password yet) gets an activation code
// from the admin command `sesame activation issue` (what a letter
// carries: the code and the link its QR code holds), activates with the
// link and with JavaScript, or by typing the code without JavaScript,
// and signs in. A wrong code and a code already used get the one refusal
// message; the expired code and the attempt limits are covered by the Go
// tests (handlers/activation_test.go, internal/activation), which move
// a fake clock instead of waiting weeks.
import { test, expect, createParent, expectNoAxeViolations, goodPassword, otherBrowser, screenshot, sesame, type Parent } from './helpers';
import { settled } from './recovery';
import type { Page } from '@playwright/test';

// The refused codes and passwords (422) are on purpose.
test.use({ allowedStatuses: [422] });

const T = {
  loginLink: 'Première connexion ? Activer mon compte',
  title: 'Activer mon compte',
  step1: "Saisissez votre identifiant et votre code d'activation",
  step2: 'Choisissez votre mot de passe',
  refused4: /^Cet identifiant et ce code d'activation ne permettent pas d'activer un compte\. .* Il vous reste 4 essais\.$/,
  policy: 'Ce mot de passe ne respecte pas toutes les règles ci-dessous.',
  doneTitle: 'Votre compte est activé',
  identifierIs: (id: string) => `Votre identifiant : ${id}`,
  greeting: (name: string) => `Bonjour, ${name}`,
};

type Letter = { code: string; link: string };

/** A new activation code for the parent, as `sesame activation issue` prints it. */
async function issue(parent: Parent): Promise<Letter> {
  const out = await sesame('activation', ['issue', parent.identifier]);
  const m = /activation code for (\S+): (\S+)\nlink: (\S+)\n/.exec(out);
  expect(m, `the code and link in:\n${out}`).not.toBeNull();
  expect(m![1]).toBe(parent.identifier);
  return { code: m![2], link: m![3] };
}

function card(page: Page) {
  return page.getByTestId('activation-card');
}

async function expectStep(page: Page, n: 1 | 2 | 3) {
  await expect(card(page)).toHaveAttribute('data-step', String(n));
  await settled(page);
}

/** « Se connecter » from the confirmation, then the password: the parent's space. */
async function signIn(page: Page, parent: Parent, password: string) {
  await page.getByTestId('activation-login').click();
  await expect(page.getByTestId('login-identifier')).toHaveValue(parent.identifier);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('espace-greeting')).toHaveText(T.greeting(parent.name));
}

test.describe('activation', { tag: '@phone-only' }, () => {
  test('the letter\'s link fills the form; with JavaScript: live rules, confirmation, sign-in; the code then refused', async ({
    page,
    browser,
    baseURL,
    clientAddress,
  }, testInfo) => {
    test.setTimeout(90_000);
    const parent = await createParent({ imported: true, firstName: 'Awa', lastName: 'Diallo' });
    const letter = await issue(parent);
    expect(letter.link).toBe(`${baseURL}/activation?id=${parent.identifier}&code=${letter.code}`);
    expect(letter.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);

    await test.step('the link (the QR code) opens step 1, filled in', async () => {
      const [resp] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/activation'), page.goto(letter.link)]);
      expect(resp.headers()['referrer-policy']).toBe('no-referrer');
      await expectStep(page, 1);
      await expect(card(page).locator('h1')).toHaveText(T.title);
      await expect(card(page).locator('h2')).toHaveText(T.step1);
      await expect(page.getByTestId('activation-identifier')).toHaveValue(parent.identifier);
      await expect(page.getByTestId('activation-code')).toHaveValue(letter.code);
      await screenshot(page, testInfo, 'fr-activation-1-link');
      await expectNoAxeViolations(page, testInfo, 'activation-1-link', { soft: true });
    });

    await test.step('Valider: step 2, the recovery\'s password step', async () => {
      await page.getByTestId('step-submit').click();
      await expectStep(page, 2);
      await expect(card(page).locator('h2')).toHaveText(T.step2);
      await expect(page.getByTestId('recovery-identifier')).toHaveText(T.identifierIs(parent.identifier));
      await expect(card(page).locator('input[autocomplete="username"]')).toHaveValue(parent.identifier);
      // The page's address still holds the code: htmx swapped the card
      // without a new history entry.
      await expect(page).toHaveURL(letter.link);
    });

    await test.step('the live checklist follows the typing', async () => {
      const personal = card(page).getByTestId('rules').locator('li[data-rule="policy.personal"]');
      await page.getByTestId('field-password').fill(`${parent.lastName}-Velo-2026`);
      await expect(personal).toHaveClass(/\bko\b/);
      await page.getByTestId('field-password').fill('Velo-Rouge-2026');
      await expect(personal).toHaveClass(/\bok\b/);
      await screenshot(page, testInfo, 'fr-activation-2-password');
      await expectNoAxeViolations(page, testInfo, 'activation-2-password', { soft: true });
    });

    const password = goodPassword();
    await test.step('a common password is refused, a good one accepted', async () => {
      await page.getByTestId('field-password').fill('azerty123');
      await page.getByTestId('field-confirm').fill('azerty123');
      await page.getByTestId('step-submit').click();
      await expect(page.getByTestId('error-password')).toHaveText(T.policy);
      await expectStep(page, 2);
      await page.getByTestId('field-password').fill(password);
      await page.getByTestId('field-confirm').fill(password);
      await page.getByTestId('step-submit').click();
      await expectStep(page, 3);
      await expect(page.getByTestId('activation-done')).toHaveText(T.doneTitle);
      await expect(page.getByTestId('activation-done-identifier')).toHaveText(T.identifierIs(parent.identifier));
      await screenshot(page, testInfo, 'fr-activation-3-done');
      await expectNoAxeViolations(page, testInfo, 'activation-3-done', { soft: true });
    });

    await test.step('« Se connecter »', async () => {
      await signIn(page, parent, password);
    });

    await test.step('the same link in another browser: the code is used up', async () => {
      const other = await otherBrowser(browser, baseURL!, clientAddress);
      const p = await other.context.newPage();
      await p.goto(letter.link);
      await expect(p.getByTestId('activation-code')).toHaveValue(letter.code);
      await p.getByTestId('step-submit').click();
      await expect(p.getByTestId('recovery-error')).toHaveText(T.refused4);
      await expectStep(p, 1);
      await expect(p.getByTestId('activation-code')).toHaveAttribute('aria-invalid', 'true');
      await other.context.close();
      expect(other.foreign).toEqual([]);
    });
  });

  test.describe('without JavaScript', () => {
    test.use({ javaScriptEnabled: false });

    test('from the login page, typing the code as it comes: a wrong code, then the right one, the password, sign-in', async ({ page }, testInfo) => {
      test.setTimeout(60_000);
      const parent = await createParent({ imported: true, firstName: 'Jean', lastName: 'Moreau' });
      const letter = await issue(parent);

      await test.step('the login page links to the activation', async () => {
        await page.goto('/');
        await expect(page.getByTestId('activation-link')).toHaveText(T.loginLink);
        await page.getByTestId('activation-link').click();
        await expect(page).toHaveURL((u) => u.pathname === '/activation');
        await expectStep(page, 1);
        await expect(page.getByTestId('activation-identifier')).toHaveValue('');
      });

      await test.step('a wrong code: the one refusal, with the tries left', async () => {
        const last = letter.code.at(-1) === '0' ? '1' : '0';
        await page.getByTestId('activation-identifier').fill(parent.identifier);
        await page.getByTestId('activation-code').fill(letter.code.slice(0, -1) + last);
        await page.getByTestId('step-submit').click();
        await expect(page.getByTestId('recovery-error')).toHaveText(T.refused4);
        await expectStep(page, 1);
        // What was typed comes back, to be corrected.
        await expect(page.getByTestId('activation-identifier')).toHaveValue(parent.identifier);
        await screenshot(page, testInfo, 'fr-nojs-activation-1-refused');
      });

      await test.step('the right code in small letters with spaces: step 2', async () => {
        await page.getByTestId('activation-code').fill(letter.code.toLowerCase().replaceAll('-', ' '));
        await page.getByTestId('step-submit').click();
        await expect(page).toHaveURL((u) => u.pathname === '/activation' && u.search === '');
        await expectStep(page, 2);
        await expect(page.getByTestId('recovery-identifier')).toHaveText(T.identifierIs(parent.identifier));
      });

      const password = goodPassword();
      await test.step('a common password, then a good one: the confirmation', async () => {
        await page.getByTestId('field-password').fill('azerty123');
        await page.getByTestId('field-confirm').fill('azerty123');
        await page.getByTestId('step-submit').click();
        await expect(page.getByTestId('error-password')).toHaveText(T.policy);
        await expect(card(page).getByTestId('rules').locator('li[data-rule="policy.common"]')).toHaveClass(/\bko\b/);
        await page.getByTestId('field-password').fill(password);
        await page.getByTestId('field-confirm').fill(password);
        await page.getByTestId('step-submit').click();
        await expect(page).toHaveURL((u) => u.pathname === '/activation');
        await expectStep(page, 3);
        await expect(page.getByTestId('activation-done')).toHaveText(T.doneTitle);
      });

      await test.step('« Se connecter »', async () => {
        await signIn(page, parent, password);
      });
    });
  });
});
