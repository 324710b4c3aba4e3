// `sesame invite` (issue 14), on the phone profile, in French: a family
// imported from the school's export (two adults sharing an address, no
// password yet) is invited with the admin command; each adult's
// invitation arrives in the SMTP sink with their identifier and
// children; its link opens the recovery's step 1 with the address filled
// in; « Valider » sends the security code, the parent chooses their
// identifier and password, and signs in. A second run within the week
// mails no one. With and without JavaScript. The rate, the week's rule,
// --force and the audit are covered by the Go tests
// (internal/invitation, internal/cli/invitecmd_test.go).
import { test, expect, codeFrom, expectNoAxeViolations, goodPassword, importFamily, login, mailTo, screenshot, sesame, waitForMail, type Family, type Mail } from './helpers';
import { TEXT, expectStep } from './recovery';

const T = TEXT.fr;
const SUBJECT = /^Votre compte de l'Espace Parents – /;

/** "Aminata (6e A), Ousmane (CM1)": how the portal writes an adult's children. */
function label(a: Family['adults'][number]): string {
  return a.children.map((c) => `${c.firstName} (${c.className})`).join(', ');
}

/** The invitations the address received, once there are n of them. */
async function invitations(email: string, n: number): Promise<Mail[]> {
  let found: Mail[] = [];
  await expect
    .poll(
      async () => {
        found = (await mailTo(email)).filter((m) => SUBJECT.test(m.subject));
        return found.length;
      },
      { message: `${n} invitation(s) to ${email}`, timeout: 15_000, intervals: [100, 200, 400] },
    )
    .toBe(n);
  return found;
}

for (const js of [true, false]) {
  test.describe(`an invited parent, ${js ? 'with' : 'without'} JavaScript`, { tag: '@phone-only' }, () => {
    test.use({ javaScriptEnabled: js });

    test('the invitation e-mail, its link, the security code, the password and the sign-in', async ({ page, baseURL }, testInfo) => {
      test.setTimeout(90_000);
      const tag = js ? 'js' : 'nojs';
      const family = await importFamily([
        {
          civility: 'Mme', firstName: 'Fatou', lastName: 'Sow', link: 'Mère',
          children: [{ firstName: 'Aminata', className: '6e A' }, { firstName: 'Ousmane', className: 'CM1' }],
        },
        { civility: 'M.', firstName: 'Moussa', lastName: 'Sow', link: 'Père', children: [{ firstName: 'Aminata', className: '6e A' }] },
      ]);
      const [fatou, moussa] = family.adults;
      // Only this test's adults: the server is shared with the other specs.
      const chosen = ['--account', fatou.identifier, '--account', moussa.identifier];
      const link = `${baseURL}/recuperation?email=${encodeURIComponent(family.email)}&lang=fr`;

      await test.step('a dry run lists the two adults and mails no one', async () => {
        const out = await sesame('invite', [...chosen, '--dry-run']);
        expect(out).toContain('would invite 2 adult(s) at 5/s (dry run: nothing queued)');
        for (const a of [fatou, moussa]) expect(out).toMatch(new RegExp(`^${a.identifier}\\s+${a.name}\\s+${family.email}\\s+-\\s+${label(a).replace(/[()]/g, '\\$&')}$`, 'm'));
        expect(await mailTo(family.email)).toEqual([]);
      });

      let mail: Mail;
      await test.step('sesame invite: one e-mail per adult, with their identifier, children and the link', async () => {
        const out = await sesame('invite', chosen);
        expect(out).toContain('queued 2 invitation(s) at 5/s');
        const both = await invitations(family.email, 2);
        for (const a of [fatou, moussa]) {
          const m = both.find((x) => x.text.includes(`Votre identifiant : ${a.identifier}\r\n`) || x.text.includes(`Votre identifiant : ${a.identifier}\n`));
          expect(m, `the invitation naming ${a.identifier}`).toBeDefined();
          const lines = m!.text.split(/\r?\n/);
          expect(lines).toContain(`Bonjour ${a.name},`);
          expect(lines).toContain(`Responsable de : ${label(a)}`);
          expect(lines).toContain(`    ${link}`);
          expect(m!.html).toContain(`href="${link.replace(/&/g, '&amp;')}"`);
          expect(m!.html).toContain(`data-testid="children">Responsable de : ${label(a)}</p>`);
        }
        mail = both.find((x) => x.text.includes(`Votre identifiant : ${fatou.identifier}`))!;
      });

      await test.step('run again within the week: nobody is mailed twice', async () => {
        await expect(sesame('invite', chosen)).rejects.toThrow(/no adult to invite[\s\S]*left out: 2 adult\(s\) invited less than 7 days ago/);
        await page.waitForTimeout(1000); // what the worker would have sent by now
        expect(await invitations(family.email, 2)).toHaveLength(2);
      });

      await test.step('the link opens step 1 with the address filled in', async () => {
        const href = /^ {4}(https?:\/\/\S+)$/m.exec(mail.text.replace(/\r\n/g, '\n'));
        expect(href, 'the link on its own line').not.toBeNull();
        await page.goto(href![1]);
        await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
        await expectStep(page, 1);
        await expect(page.getByTestId('recovery-email')).toHaveValue(family.email);
        await screenshot(page, testInfo, `invite-1-link-${tag}`);
        if (js) await expectNoAxeViolations(page, testInfo, 'invite-1-link', { soft: true });
      });

      await test.step('« Valider »: the security code arrives at the same address', async () => {
        await page.getByTestId('step-submit').click();
        await expectStep(page, 2);
        await expect(page.getByTestId('recovery-notice')).toHaveText(T.sent);
        const code = await waitForMail(family.email, T.codeSubject);
        await page.getByTestId('recovery-code').fill(codeFrom(code));
        await page.getByTestId('step-submit').click();
        await expectStep(page, 3);
      });

      const pw = goodPassword();
      await test.step('Fatou picks her identifier and chooses her password', async () => {
        await expect(page.getByTestId(`pick-children-${fatou.identifier}`)).toHaveText(`Enfants : ${label(fatou)}`);
        await page.getByTestId(`pick-${fatou.identifier}`).check();
        await page.getByTestId('field-password').fill(pw);
        await page.getByTestId('field-confirm').fill(pw);
        await page.getByTestId('step-submit').click();
        await expectStep(page, 4);
        await expect(page.getByTestId('recovery-done-identifier')).toHaveText(T.identifierIs(fatou.identifier));
        await screenshot(page, testInfo, `invite-4-done-${tag}`);
      });

      await test.step('she signs in', async () => {
        await page.context().clearCookies();
        await login(page, fatou.identifier, pw);
        await expect(page.getByTestId('espace-greeting')).toHaveText(T.greeting(fatou.name));
        await expect(page.getByTestId('espace-children')).toHaveText(label(fatou));
      });
    });
  });
}
