// Parents always see an answer (issue 17): when the server answers 503
// (« Service très sollicité », a full disk) during an htmx step, the page
// shows what a browser without JavaScript shows; when the server cannot
// be reached at all (network down, server stopped), the form says so,
// in the parent's language, and pressing again works once it is back.
//
// The 503 is the server's own page: its error page for this very request
// (layout, language, headers, the HX-Retarget that makes htmx replace the
// body), taken from a path that does not exist, with the « not found »
// sentences swapped for the « busy » ones of the locales — exactly what
// the server renders for errBusy, which a test cannot provoke on demand
// (it needs every password-hashing slot taken for seconds).
import fs from 'node:fs';
import path from 'node:path';
import type { Page, Route } from '@playwright/test';
import { test, expect, unknownEmail } from './helpers';
import { card, expectStep, type Lang } from './recovery';

type Strings = Record<string, string>;
const UI: Record<Lang, Strings> = {
  fr: JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'locales', 'ui.fr.json'), 'utf8')),
  en: JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'locales', 'ui.en.json'), 'utf8')),
};

/** As templ escapes text (html.EscapeString). */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
}

/** Answers the intercepted request with the server's « busy » 503 page for it. */
async function busy(route: Route, lang: Lang) {
  const req = route.request();
  const real = await route.fetch({ url: new URL('/__no-such-page', req.url()).href, method: 'GET', postData: '' });
  expect(real.status(), 'the real error page the 503 is made from').toBe(404);
  const t = UI[lang];
  const body = (await real.text())
    .replaceAll(esc(t['error.notfound.title']), esc(t['error.busy.title']))
    .replaceAll(esc(t['error.notfound']), esc(t['error.busy']));
  expect(body).toContain(esc(t['error.busy']));
  await route.fulfill({ status: 503, headers: { ...real.headers(), 'retry-after': '5' }, body });
}

/** Fulfils (or cuts) the step-1 POST only; everything else goes to the server. */
async function onStep1(page: Page, handler: (r: Route) => Promise<void>) {
  await page.route(
    (u) => u.pathname === '/recuperation/email',
    (r) => (r.request().method() === 'POST' ? handler(r) : r.fallback()),
  );
}

async function expectBusyPage(page: Page, lang: Lang) {
  const t = UI[lang];
  await expect(page.getByTestId('error-page')).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', lang);
  await expect(page.locator('#error-title')).toHaveText(t['error.busy.title']);
  await expect(page.getByTestId('error-page').locator('p[data-announce]')).toHaveText(t['error.busy']);
  await expect(page).toHaveTitle(new RegExp('^' + t['error.busy.title']));
  await expect(page.getByTestId('help')).toBeVisible();
  // One page, not a page inside the card of another.
  await expect(page.locator('main')).toHaveCount(1);
  await expect(card(page)).toHaveCount(0);
}

for (const lang of ['fr', 'en'] as const satisfies readonly Lang[]) {
  test.describe(`the server answers 503 (${lang})`, { tag: '@phone-only' }, () => {
    // The 404 the page is made from (fetched by the test, not the browser) and the 503.
    test.use({ allowedStatuses: [404, 503] });
    if (lang === 'en') test.use({ locale: 'en-GB' });

    test(`with JavaScript, the busy page replaces the step like without it (${lang})`, async ({ page }) => {
      await page.goto('/recuperation');
      await expectStep(page, 1);
      await onStep1(page, (r) => busy(r, lang));
      await page.getByTestId('recovery-email').fill(unknownEmail());
      await page.getByTestId('step-submit').click();
      await expectBusyPage(page, lang);
      // htmx swapped it in: the address is still the step's, and focus
      // and the announcement follow the swap.
      await expect(page).toHaveURL((u) => u.pathname === '/recuperation');
      await expect(page.locator('#announcer')).toHaveText(UI[lang]['error.busy']);
    });

    test.describe('without JavaScript', () => {
      test.use({ javaScriptEnabled: false });
      test(`the busy page (${lang})`, async ({ page }) => {
        await page.goto('/recuperation');
        await expectStep(page, 1);
        await onStep1(page, (r) => busy(r, lang));
        await page.getByTestId('recovery-email').fill(unknownEmail());
        await page.getByTestId('step-submit').click();
        await expectBusyPage(page, lang);
        await page.unrouteAll({ behavior: 'wait' });
      });
    });
  });

  test.describe(`the server cannot be reached (${lang})`, { tag: '@phone-only' }, () => {
    test.use({ allowNetworkErrors: true });
    if (lang === 'en') test.use({ locale: 'en-GB' });

    test(`the form says there is no connection, and pressing again works once it is back (${lang})`, async ({ page }) => {
      const text = UI[lang]['layout.offline'];
      await page.goto('/recuperation');
      await expectStep(page, 1);
      // Rendered by the server in the page's language, hidden until needed.
      await expect(page.getByTestId('offline-message')).toHaveCount(0);
      const email = unknownEmail();
      // First the server is stopped (connection refused), then the
      // phone loses its network.
      const cuts = ['connectionrefused', 'internetdisconnected'];
      let n = 0;
      await onStep1(page, (r) => r.abort(cuts[Math.min(n++, cuts.length - 1)]));
      await page.getByTestId('recovery-email').fill(email);
      await page.getByTestId('step-submit').click();

      const msg = page.getByTestId('offline-message');
      await expect(msg).toBeVisible();
      await expect(msg).toHaveText(text);
      await expect(page.getByRole('alert')).toHaveText(text);
      await expect(msg).toBeFocused();
      // The form is left as it was, usable.
      await expectStep(page, 1);
      await expect(page.getByTestId('recovery-email')).toHaveValue(email);
      await expect(page.getByTestId('step-submit')).toBeEnabled();

      // Pressing again while still cut off: one message, not two.
      await page.getByTestId('step-submit').click();
      await expect.poll(() => n).toBe(2);
      await expect(msg).toHaveCount(1);
      await expect(msg).toBeFocused();

      // The connection is back: the same press goes through.
      await page.unrouteAll({ behavior: 'wait' });
      await page.getByTestId('step-submit').click();
      await expectStep(page, 2);
      await expect(page.getByTestId('offline-message')).toHaveCount(0);
    });
  });
}
