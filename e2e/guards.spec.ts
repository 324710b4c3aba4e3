// Guard C of issue 11: an error answering an htmx step (expired form 403,
// bad request 400, too large 413, too many tries 429) shows the error
// page exactly as a plain form gets it — one header, one language bar,
// one <main> — never a whole page nested inside the recovery card. Its
// language switch leads back to the step (expectSwitcher).
import { test, expect, expectSwitcher, unknownEmail } from './helpers';
import { card, expectStep } from './recovery';
import type { Page } from '@playwright/test';

test.use({ allowedStatuses: [400, 403, 413, 422, 429] });

/** Ways to spoil the step-2 form so the server refuses it with the status. */
const spoilers: [number, (page: Page) => Promise<void>][] = [
  [403, (page) => page.locator('input[name="_csrf"]').first().evaluate((e: HTMLInputElement) => (e.value = 'expired'))],
  [400, (page) => card(page).locator('form').first().evaluate((f) => f.insertAdjacentHTML('beforeend', '<input type="hidden" name="code" value="1">'))],
  [413, (page) => page.getByTestId('recovery-code').evaluate((e: HTMLInputElement) => { e.removeAttribute('maxlength'); e.value = '1'.repeat(70_000); })],
  [
    429,
    async (page) => {
      // The flow's code tries are used up from the same browser.
      const token = await page.locator('input[name="_csrf"]').first().inputValue();
      for (let i = 0; i < 40; i++) {
        const r = await page.request.post('/recuperation/code', { form: { _csrf: token, code: '1' } });
        if (r.status() === 429) return;
      }
      throw new Error('no 429 after 40 tries');
    },
  ],
];

for (const lang of ['fr', 'en'] as const) {
  test(`an error answering an htmx step replaces the page, never nests in the card (${lang})`, async ({ page }) => {
    test.setTimeout(60_000);
    for (const [status, spoil] of spoilers) {
      await test.step(`HTTP ${status}`, async () => {
        await page.goto(`/recuperation?lang=${lang}`);
        if ((await card(page).getAttribute('data-step')) !== '2') {
          await page.getByTestId('recovery-email').fill(unknownEmail());
          await page.getByTestId('step-submit').click();
        }
        await expectStep(page, 2);
        await spoil(page);
        const [resp] = await Promise.all([
          page.waitForResponse((r) => new URL(r.url()).pathname === '/recuperation/code' && r.request().method() === 'POST' && r.request().headers()['hx-request'] === 'true'),
          page.getByTestId('step-submit').click(),
        ]);
        expect(resp.status()).toBe(status);
        await expect(page.getByTestId('error-page')).toBeVisible();
        await expect(page.locator('main')).toHaveCount(1);
        await expect(page.locator('header.top')).toHaveCount(1);
        await expect(page.locator('nav.lang')).toHaveCount(1);
        await expect(page.getByTestId('recovery-card')).toHaveCount(0);
        await expect(page.locator('html')).toHaveAttribute('lang', lang);
        // Focus lands on the error page's heading, as on a new page.
        await expect(page.locator('#error-title')).toBeFocused();
        await expectSwitcher(page);
      });
    }
  });
}
