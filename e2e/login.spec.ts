// The Espace Parents login, in a real Chromium, on a phone and a desktop.
// Every test also checks (fixture in helpers.ts) that no request left for
// a host other than the server.
import { test, expect, DEMO, SCHOOL, createParent, login, loginStatus, isServerURL } from './helpers';

test.describe('login', () => {
  test('a parent logs in, in French', async ({ page }) => {
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
    await expect(page.getByTestId('logout')).toBeVisible();
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
    await page.goto('/');
    await expect(page.getByTestId('login-error')).toHaveCount(0);

    expect(await loginStatus(page, DEMO.identifier, 'Pas-le-bon-1')).toBe(401);
    const error = page.getByTestId('login-error');
    await expect(error).toBeVisible();
    const wrongPassword = (await error.innerText()).trim();
    expect(wrongPassword).not.toBe('');
    // It must not say which field was wrong.
    await expect(page.getByTestId('espace-greeting')).toHaveCount(0);

    expect(await loginStatus(page, 'personne.inconnue', 'Pas-le-bon-1')).toBe(401);
    await expect(error).toBeVisible();
    expect((await error.innerText()).trim()).toBe(wrongPassword);
    await expect(page.getByTestId('espace-greeting')).toHaveCount(0);

    // And the page still lets the parent try again and succeed.
    await login(page, DEMO.identifier, DEMO.password, { goto: false });
    await expect(page.getByTestId('espace-greeting')).toHaveText(`Bonjour, ${DEMO.name}`);
  });

  test('the generic error is the same in English, for both kinds of failure', async ({ page }) => {
    await page.goto('/?lang=en');
    expect(await loginStatus(page, DEMO.identifier, 'Not-the-right-1')).toBe(401);
    const first = (await page.getByTestId('login-error').innerText()).trim();
    expect(await loginStatus(page, 'nobody.here', 'Not-the-right-1')).toBe(401);
    expect((await page.getByTestId('login-error').innerText()).trim()).toBe(first);
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  });

  test('logout returns to the login page with a notice and ends the session', async ({ page }) => {
    await login(page, DEMO.identifier, DEMO.password);
    await expect(page.getByTestId('espace-greeting')).toBeVisible();

    await page.getByTestId('logout').click();
    await expect(page).toHaveURL((u) => u.pathname === '/');
    await expect(page.getByTestId('login-notice')).toBeVisible();
    await expect(page.getByTestId('login-identifier')).toBeVisible();

    // The session is gone: /espace sends back to the login page.
    await page.goto('/espace');
    await expect(page).toHaveURL((u) => u.pathname === '/');
    await expect(page.getByTestId('espace-greeting')).toHaveCount(0);
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

test.describe('language', () => {
  test('the switch sets <html lang> and is remembered', async ({ page }) => {
    await page.goto('/');
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    const frTitle = await page.locator('h1').innerText();

    await page.getByTestId('lang-en').click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.locator('h1')).not.toHaveText(frTitle);

    // Remembered in a cookie: a plain visit stays in English.
    await page.goto('/');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');

    await page.getByTestId('lang-fr').click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await expect(page.locator('h1')).toHaveText(frTitle);
    await page.goto('/');
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  });

  test('?lang=en switches the page', async ({ page }) => {
    await page.goto('/?lang=en');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await page.goto('/politique-mot-de-passe');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  });

  test.describe('with an English browser', () => {
    test.use({ locale: 'en-GB' });

    test('Accept-Language is honoured', async ({ page }) => {
      await page.goto('/');
      await expect(page.locator('html')).toHaveAttribute('lang', 'en');
      await login(page, DEMO.identifier, DEMO.password, { goto: false });
      await expect(page.getByTestId('espace-greeting')).toHaveText(`Hello, ${DEMO.name}`);
    });

    test('the cookie set by the switch wins over Accept-Language', async ({ page }) => {
      await page.goto('/?lang=fr');
      await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
      await page.goto('/');
      await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    });
  });
});

test('no request leaves for another host while each page loads', async ({ page, baseURL, requests }) => {
  const pages = ['/', '/?lang=en', '/?lang=fr', '/politique-mot-de-passe', '/recuperation', '/page-qui-n-existe-pas'];
  for (const path of pages) {
    await page.goto(path, { waitUntil: 'networkidle' });
  }
  await expect(page.getByTestId('error-page')).toBeVisible();

  await login(page, DEMO.identifier, DEMO.password);
  await expect(page.getByTestId('espace-greeting')).toBeVisible();
  await page.waitForLoadState('networkidle');

  // The recorder saw the pages and their assets (CSS, scripts)...
  expect(requests.some((u) => new URL(u).pathname.startsWith('/static/'))).toBe(true);
  expect(requests.some((u) => new URL(u).pathname === '/espace')).toBe(true);
  // ...and every one of them went to the server (the fixture checks again at the end).
  expect(requests.filter((u) => !isServerURL(u, baseURL!))).toEqual([]);
});
