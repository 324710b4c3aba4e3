// The whole recovery with the keyboard only (Tab, Shift+Tab, Enter, Space
// and typing; no click), on the desktop profile, in French and in English.
// After each htmx swap, focus must land on the new step's first field (or
// its heading) and the step's message must be read out through the
// aria-live region #announcer, which was on the page before the swap.
//
// These runs are also the desktop profile's axe scans of every recovery
// step (the phone profile's are in recovery.spec.ts).
import type { ElementHandle, Page } from '@playwright/test';
import { test, expect, createParent, codeFrom, expectNoAxeViolations, goodPassword, waitForMail, wrongCode } from './helpers';
import { TEXT, expectStep, rule, type Lang } from './recovery';

// The refused codes and passwords (422) are on purpose.
test.use({ allowedStatuses: [422] });

/** Presses Tab (or Shift+Tab) until the focused element matches selector. */
async function tabTo(page: Page, selector: string, opts: { back?: boolean; max?: number } = {}) {
  for (let i = 0; i <= (opts.max ?? 30); i++) {
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
    await page.keyboard.press(opts.back ? 'Shift+Tab' : 'Tab');
  }
  const at = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200));
  throw new Error(`${opts.back ? 'Shift+Tab' : 'Tab'} never reached ${selector}; focus is on ${at}`);
}

/** The text of the live region captured before the swap (it must still be that same element). */
function announced(region: ElementHandle<Node>) {
  return region.evaluate((el) => (el.isConnected ? (el.textContent ?? '').trim() : '(the live region was replaced by the swap)'));
}

async function expectAnnounced(region: ElementHandle<Node>, text: string | RegExp) {
  const poll = expect.poll(() => announced(region), { message: 'the aria-live region #announcer reads the step message', timeout: 5_000 });
  if (typeof text === 'string') await poll.toBe(text);
  else await poll.toMatch(text);
}

for (const lang of ['fr', 'en'] as const satisfies readonly Lang[]) {
  test(`keyboard only: the whole recovery, focus and announcements, axe on each step (${lang})`, { tag: '@desktop-only' }, async ({ page }, testInfo) => {
    test.setTimeout(90_000);
    const T = TEXT[lang];
    const parent = await createParent({ lastName: 'Bernard' });
    const focused = (testid: string) => expect(page.getByTestId(testid), `focus on ${testid}`).toBeFocused();

    await test.step('from the login page to step 1', async () => {
      await page.goto('/');
      if (lang === 'en') {
        await tabTo(page, '[data-testid="lang-en"]', { back: true });
        await page.keyboard.press('Enter');
        await expect(page.locator('html')).toHaveAttribute('lang', 'en');
      }
      await tabTo(page, '[data-testid="recovery-link"]');
      await page.keyboard.press('Enter');
      await expectStep(page, 1);
      await focused('recovery-email');
      await expect(page.locator('#announcer')).toHaveAttribute('aria-live', 'polite');
      await expectNoAxeViolations(page, testInfo, `recovery-1-email-${lang}-desktop`, { soft: true });
    });

    const region = await page.locator('#announcer').elementHandle();
    let code = '';
    await test.step('step 1 → step 2: focus on the code, "code sent" announced', async () => {
      await page.keyboard.type(parent.email);
      await page.keyboard.press('Enter');
      await expectStep(page, 2);
      await focused('recovery-code');
      await expectAnnounced(region!, T.sent);
      code = codeFrom(await waitForMail(parent.email, T.codeSubject));
      await expectNoAxeViolations(page, testInfo, `recovery-2-code-${lang}-desktop`, { soft: true });
    });

    await test.step('a wrong code: focus back on the field, the tries left announced', async () => {
      await page.keyboard.type(wrongCode(code));
      await page.keyboard.press('Enter');
      await expect(page.getByTestId('recovery-error')).toHaveText(T.wrong4);
      await focused('recovery-code');
      await expectAnnounced(region!, T.wrong4);
      await expectNoAxeViolations(page, testInfo, `recovery-2-wrong-code-${lang}-desktop`, { soft: true });
    });

    await test.step('the right code: step 3, focus on the password', async () => {
      await page.keyboard.type(code);
      await page.keyboard.press('Enter');
      await expectStep(page, 3);
      await focused('field-password');
      await expectNoAxeViolations(page, testInfo, `recovery-3-password-${lang}-desktop`, { soft: true });
    });

    await test.step('show / hide with Space, a refused password announced', async () => {
      await page.keyboard.type('Abc-12');
      await expect(rule(page, 'policy.length')).toHaveClass(/\bko\b/);
      await page.keyboard.press('Tab');
      const toggle = page.locator('[data-toggle-password="password"]');
      await expect(toggle, 'Tab from the password reaches its show/hide button').toBeFocused();
      await page.keyboard.press('Space');
      await expect(page.getByTestId('field-password')).toHaveAttribute('type', 'text');
      await expect(toggle).toHaveAttribute('aria-pressed', 'true');
      await page.keyboard.press('Space');
      await expect(page.getByTestId('field-password')).toHaveAttribute('type', 'password');
      await page.keyboard.press('Shift+Tab');
      await focused('field-password');

      await tabTo(page, '[data-testid="field-confirm"]');
      await page.keyboard.type('Abc-12');
      await page.keyboard.press('Enter');
      await expect(page.getByTestId('error-password')).toHaveText(T.policy);
      await focused('field-password');
      await expectAnnounced(region!, T.policy);
      await expectNoAxeViolations(page, testInfo, `recovery-3-policy-error-${lang}-desktop`, { soft: true });
    });

    const next = goodPassword();
    await test.step('a valid password: the confirmation, focus on "sign in", announced', async () => {
      // The refused password is not sent back: the fields are empty.
      await expect(page.getByTestId('field-password')).toHaveValue('');
      await page.keyboard.type(next);
      await tabTo(page, '[data-testid="field-confirm"]');
      await page.keyboard.type(next);
      await page.keyboard.press('Enter');
      await expectStep(page, 4);
      await focused('recovery-login');
      await expectAnnounced(region!, T.done);
      await expectNoAxeViolations(page, testInfo, `recovery-4-done-${lang}-desktop`, { soft: true });
    });

    await test.step('Enter on "sign in": the identifier filled in, focus on the password', async () => {
      await page.keyboard.press('Enter');
      await expect(page).toHaveURL((u) => u.pathname === '/');
      await expect(page.getByTestId('login-identifier')).toHaveValue(parent.identifier);
      await focused('login-password');
      await page.keyboard.type(next);
      await page.keyboard.press('Enter');
      await expect(page.getByTestId('espace-greeting')).toHaveText(T.greeting(parent.name));
    });
  });
}

