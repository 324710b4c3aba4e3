// The Espace Parents login, in a real Chromium, on a phone and a desktop.
// Every test also checks (fixture in helpers.ts) that no request left for
// a host other than the server.
import { test, expect, expectSwitcher, DEMO, SCHOOL, createParent, login, loginStatus, isServerURL, unknownIdentifier } from './helpers';

// The failed sign-ins (401) and the page that does not exist (404) are on purpose.
test.use({ allowedStatuses: [401, 404] });

test.describe('login', () => {
  test('a parent logs in, in French, then logs out', async ({ page }) => {
    await page.goto('/');
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await expect(page.getByTestId('school-name')).toHaveText(SCHOOL);
    await expect(page.getByTestId('demo-banner')).toBeVisible();
    await expect(page.getByTestId('recovery-link')).toHaveText('Récupérer son identifiant et son mot de passe');

    await login(page, DEMO.identifier, DEMO.password, { goto: false });
    await expect(page).toHaveURL(/\/espace$/);
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await expect(page.getByTestId('espace-greeting')).toHaveText(`Bonjour, ${DEMO.name}`);
    await expect(page.getByTestId('espace-identifier')).toHaveText(DEMO.identifier);

    // Logout: back to the login page, with a notice.
    await page.getByTestId('logout').click();
    await expect(page).toHaveURL((u) => u.pathname === '/');
    await expect(page.getByTestId('login-notice')).toBeVisible();
    await expect(page.getByTestId('login-identifier')).toBeVisible();

    // The session is gone: /espace sends back to the login page.
    await page.goto('/espace');
    await expect(page).toHaveURL((u) => u.pathname === '/');
    await expect(page.getByTestId('espace-greeting')).toHaveCount(0);
  });

  test('a parent logs in, in English chosen with the switch', async ({ page }) => {
    await page.goto('/');
    await page.getByTestId('lang-en').click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');

    await login(page, DEMO.identifier, DEMO.password, { goto: false });
    await expect(page).toHaveURL(/\/espace$/);
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.getByTestId('espace-greeting')).toHaveText(`Hello, ${DEMO.name}`);
  });

  test('a wrong password and an unknown identifier get the same generic error', async ({ page }) => {
    const parent = await createParent();
    await page.goto('/');
    await expect(page.getByTestId('login-error')).toHaveCount(0);

    expect(await loginStatus(page, parent.identifier, 'Pas-le-bon-1')).toBe(401);
    const error = page.getByTestId('login-error');
    await expect(error).toBeVisible();
    const wrongPassword = (await error.innerText()).trim();
    expect(wrongPassword).not.toBe('');
    await expect(page.getByTestId('espace-greeting')).toHaveCount(0);
    // The answer of POST /login: its language switch leads to the login page.
    await expectSwitcher(page);

    expect(await loginStatus(page, unknownIdentifier(), 'Pas-le-bon-1')).toBe(401);
    await expect(error).toBeVisible();
    expect((await error.innerText()).trim()).toBe(wrongPassword);
    await expect(page.getByTestId('espace-greeting')).toHaveCount(0);

    // And the parent can try again and succeed.
    await login(page, parent.identifier, parent.password, { goto: false });
    await expect(page.getByTestId('espace-greeting')).toHaveText(`Bonjour, ${parent.name}`);
  });

  test('a parent changes their password (own account)', async ({ page }) => {
    const parent = await createParent();
    await login(page, parent.identifier, parent.password);
    await expect(page.getByTestId('espace-greeting')).toHaveText(`Bonjour, ${parent.name}`);
    await expect(page.getByTestId('rules')).toBeVisible();
    await expect(page.getByTestId('policy-link')).toHaveAttribute('href', '/politique-mot-de-passe');

    const next = `Gomme-${Date.now() % 100000}-Bleue`;
    await page.getByTestId('field-current').fill(parent.password);
    await page.getByTestId('field-new').fill(next);
    await page.getByTestId('field-confirm').fill(next);
    await page.getByTestId('change-submit').click();
    // Sésame closes every session of the account when its password
    // changes: the parent lands on the login page with a notice saying so.
    await expect(page).toHaveURL((u) => u.pathname === '/');
    await expect(page.getByTestId('login-notice')).toBeVisible();

    // The new password works and the old one no longer does.
    expect(await loginStatus(page, parent.identifier, parent.password)).toBe(401);
    await login(page, parent.identifier, next, { goto: false });
    await expect(page.getByTestId('espace-greeting')).toHaveText(`Bonjour, ${parent.name}`);
  });
});

test('no request leaves for another host while each page loads', async ({ page, baseURL, requests }) => {
  const pages = ['/', '/?lang=en', '/?lang=fr', '/politique-mot-de-passe', '/recuperation', '/page-qui-n-existe-pas'];
  for (const path of pages) {
    await page.goto(path); // 'load': the page and every asset it asked for
  }
  await expect(page.getByTestId('error-page')).toBeVisible();

  const parent = await createParent();
  await login(page, parent.identifier, parent.password);
  await expect(page.getByTestId('espace-greeting')).toBeVisible();
  await page.waitForLoadState('networkidle');

  // The recorder saw the pages and their assets (CSS, scripts)...
  expect(requests.some((u) => new URL(u).pathname.startsWith('/static/'))).toBe(true);
  expect(requests.some((u) => new URL(u).pathname === '/espace')).toBe(true);
  // ...and every one of them went to the server (the fixture checks again at the end).
  expect(requests.filter((u) => !isServerURL(u, baseURL!))).toEqual([]);
});

// Choosing the language is the server's business, the same on any screen
// size: tagged @phone-only, which the desktop project leaves out
// (grepInvert in playwright.config.ts).
test.describe('language', { tag: '@phone-only' }, () => {

  test('the switch and ?lang= set <html lang>, and the choice is remembered', async ({ page }) => {
    await page.goto('/');
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    const frTitle = await page.locator('h1').innerText();

    await page.getByTestId('lang-en').click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.locator('h1')).not.toHaveText(frTitle);

    // Remembered in a cookie: a plain visit, or another page, stays in English.
    await page.goto('/');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await page.goto('/politique-mot-de-passe');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');

    await page.goto('/');
    await page.getByTestId('lang-fr').click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await expect(page.locator('h1')).toHaveText(frTitle);
    await page.goto('/');
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');

    await page.goto('/?lang=en');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  });

  test.describe('with an English browser', () => {
    test.use({ locale: 'en-GB' });

    test('Accept-Language is honoured, the generic error is the same for both failures, and the switch wins', async ({ page }) => {
      const parent = await createParent();
      await page.goto('/');
      await expect(page.locator('html')).toHaveAttribute('lang', 'en');

      expect(await loginStatus(page, parent.identifier, 'Not-the-right-1')).toBe(401);
      const first = (await page.getByTestId('login-error').innerText()).trim();
      expect(await loginStatus(page, unknownIdentifier(), 'Not-the-right-1')).toBe(401);
      expect((await page.getByTestId('login-error').innerText()).trim()).toBe(first);
      await expect(page.locator('html')).toHaveAttribute('lang', 'en');

      await login(page, parent.identifier, parent.password, { goto: false });
      await expect(page.getByTestId('espace-greeting')).toHaveText(`Hello, ${parent.name}`);

      // The cookie set by ?lang= (or the switch) wins over Accept-Language.
      await page.goto('/?lang=fr');
      await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
      await page.goto('/espace');
      await expect(page.getByTestId('espace-greeting')).toHaveText(`Bonjour, ${parent.name}`);
    });
  });
});
