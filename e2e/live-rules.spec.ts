// The live password checklist at step 3 always ends on what the parent
// typed last, even when the server answers slowly: a rules request sent
// while another is in flight must wait its turn, not be dropped (a dropped
// one leaves the list showing an earlier password's verdict — seen on a
// loaded machine, where the French run of the whole flow failed).
import { test, expect, createParent, codeFrom, goodPassword, waitForMail } from './helpers';
import { TEXT, expectStep, rule } from './recovery';

test.describe('live password rules (fr)', { tag: '@phone-only' }, () => {
  test('slow answers: the checklist ends on the last password typed', async ({ page }) => {
    test.setTimeout(60_000);
    const T = TEXT.fr;
    const parent = await createParent({ lastName: 'Lenteur' });
    await page.goto('/recuperation');
    await page.getByTestId('recovery-email').fill(parent.email);
    await page.getByTestId('step-submit').click();
    await expectStep(page, 2);
    const mail = await waitForMail(parent.email, T.codeSubject);
    await page.getByTestId('recovery-code').fill(codeFrom(mail));
    await page.getByTestId('step-submit').click();
    await expectStep(page, 3);

    // Every rules answer takes 1.5 s: the second password is typed while
    // the first one's request is still in flight.
    let sent = 0;
    await page.route('**/recuperation/regles', async (route) => {
      sent++;
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    const field = page.getByTestId('field-password');
    await field.fill('qqqqqqqqq7'); // one character repeated: refused as predictable
    await expect.poll(() => sent).toBe(1);
    await field.fill(goodPassword()); // typed while the first answer is awaited
    // Dropped, the second request would never leave and the list would
    // end on the first password's verdict.
    await expect.poll(() => sent, { timeout: 10_000 }).toBe(2);
    await expect(rule(page, 'policy.predictable')).toHaveClass(/\bok\b/, { timeout: 10_000 });
  });
});
