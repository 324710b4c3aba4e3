// axe-core scans (WCAG 2.0/2.1 A+AA and 2.2 AA) of each page, in French
// and in English, on the phone and the desktop profiles. Zero violations.
//
// One test per language walks through the pages in one browser context
// (contexts are the slow part on a small machine); each page is its own
// step and a soft assertion, so one page's violations do not hide the
// next one's. Both languages run on both profiles.
import { test, expect, expectSwitcher, createParent, login, loginStatus, expectNoAxeViolations } from './helpers';

// The failed sign-ins (401), the page that does not exist (404) and the
// refused activation code (422) are on purpose.
test.use({ allowedStatuses: [401, 404, 422] });

for (const lang of ['fr', 'en'] as const) {
  test(`accessibility of every page (${lang})`, async ({ page }, testInfo) => {
    test.setTimeout(180_000); // ten axe runs, each a few seconds on a busy machine
    const parent = await createParent();
    await test.step('login page', async () => {
      await page.goto(`/?lang=${lang}`); // also sets the language cookie
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      await expectNoAxeViolations(page, testInfo, `login-${lang}`, { soft: true });
    });

    await test.step('login page showing the error', async () => {
      expect(await loginStatus(page, parent.identifier, 'Pas-le-bon-1')).toBe(401);
      await expect(page.getByTestId('login-error')).toBeVisible();
      await expectNoAxeViolations(page, testInfo, `login-error-${lang}`, { soft: true });
    });

    await test.step('password policy page', async () => {
      await page.goto('/politique-mot-de-passe');
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      await expectNoAxeViolations(page, testInfo, `policy-${lang}`, { soft: true });
    });

    await test.step('activation page, and its refusal', async () => {
      await page.goto('/activation');
      await expect(page.getByTestId('activation-card')).toHaveAttribute('data-step', '1');
      await expectNoAxeViolations(page, testInfo, `activation-${lang}`, { soft: true });
      await page.getByTestId('activation-identifier').fill(`personne.inconnue-${lang}`);
      await page.getByTestId('activation-code').fill('K7QM-4RXP-9TDW');
      await page.getByTestId('step-submit').click();
      await expect(page.getByTestId('recovery-error')).toBeVisible();
      await expect(page.getByTestId('activation-code')).toHaveAttribute('aria-invalid', 'true');
      await expectNoAxeViolations(page, testInfo, `activation-refused-${lang}`, { soft: true });
    });

    // The pages a public school must publish, linked from every footer;
    // their language switch too.
    for (const legal of ['mentions-legales', 'donnees-personnelles', 'accessibilite']) {
      await test.step(`/${legal}`, async () => {
        await page.goto('/politique-mot-de-passe');
        await page.locator(`footer a[href="/${legal}"]`).click();
        await expect(page.getByTestId(`legal-${legal}`)).toBeVisible();
        await expect(page.locator('html')).toHaveAttribute('lang', lang);
        await expectNoAxeViolations(page, testInfo, `${legal}-${lang}`, { soft: true });
        await expectSwitcher(page);
      });
    }

    await test.step('not-found error page', async () => {
      await page.goto('/page-qui-n-existe-pas');
      await expect(page.getByTestId('error-page')).toBeVisible();
      await expectNoAxeViolations(page, testInfo, `404-${lang}`, { soft: true });
    });

    await test.step('/espace', async () => {
      await login(page, parent.identifier, parent.password);
      await expect(page.getByTestId('espace-greeting')).toBeVisible();
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      await expectNoAxeViolations(page, testInfo, `espace-${lang}`, { soft: true });
    });
  });
}
