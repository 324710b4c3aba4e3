// Which children an identifier is for (issue 13): a family address whose
// two adults are responsible for different pupils, imported from the
// school's export « one line per adult per pupil ». The code e-mail lists
// each identifier with its children; step 3 names, in each radio's own
// label, the identifier, its holder and their children; the parent sets
// one password, the confirmation repeats the children, and the parent
// signs in and finds them on their page. In French and English, with
// and without JavaScript, on the phone.
import { test, expect, codeFrom, expectNoAxeViolations, goodPassword, importFamily, login, screenshot, waitForMail, type Family } from './helpers';
import { TEXT, expectStep } from './recovery';

/** The words this spec checks, per language (locales/recovery.*.json, ui.*.json). */
const WORDS = {
  fr: {
    children: (n: number, label: string) => `${n > 1 ? 'Enfants' : 'Enfant'} : ${label}`,
    radio: (id: string, name: string, children: string) => `${id}, au nom de ${name}, ${children}`,
    espaceChildren: (n: number) => (n > 1 ? 'Enfants' : 'Enfant'),
  },
  en: {
    children: (n: number, label: string) => `${n > 1 ? 'Children' : 'Child'}: ${label}`,
    radio: (id: string, name: string, children: string) => `${id}, in the name of ${name}, ${children}`,
    espaceChildren: (n: number) => (n > 1 ? 'Children' : 'Child'),
  },
} as const;

/** "Lucas (6e A), Emma (CM2)": how the portal writes an adult's children. */
function label(a: Family['adults'][number]): string {
  return a.children.map((c) => `${c.firstName} (${c.className})`).join(', ');
}

for (const js of [true, false]) {
  test.describe(`children beside each identifier, ${js ? 'with' : 'without'} JavaScript`, { tag: '@phone-only' }, () => {
    test.use({ javaScriptEnabled: js });

    for (const lang of ['fr', 'en'] as const) {
      test(`${lang}: the code e-mail and step 3 say which children each identifier is for`, async ({ page }, testInfo) => {
        test.setTimeout(90_000);
        const T = TEXT[lang];
        const W = WORDS[lang];
        const family = await importFamily([
          {
            civility: 'Mme', firstName: 'Claire', lastName: 'Morel', link: 'Mère',
            children: [{ firstName: 'Lucas', className: '6e A' }, { firstName: 'Emma', className: 'CM2' }],
          },
          { civility: 'M.', firstName: 'Karim', lastName: 'Haddad', link: 'Père', children: [{ firstName: 'Inès', className: '5e B' }] },
        ]);
        const [claire, karim] = family.adults;
        const tag = `${lang}-${js ? 'js' : 'nojs'}`;

        await test.step('the code e-mail lists each identifier with its children', async () => {
          await page.goto(`/recuperation?lang=${lang}`);
          await expect(page.locator('html')).toHaveAttribute('lang', lang);
          await page.getByTestId('recovery-email').fill(family.email);
          await page.getByTestId('step-submit').click();
          await expectStep(page, 2);
          const mail = await waitForMail(family.email, T.codeSubject);
          const lines = mail.text.split(/\r?\n/);
          for (const a of [claire, karim]) {
            expect(lines, `the text part's line for ${a.identifier}`).toContain(`  - ${a.identifier} — ${label(a)}`);
            expect(mail.html).toContain(`<strong data-testid="identifier">${a.identifier}</strong> — <span data-testid="children">${label(a)}</span>`);
          }
          await page.getByTestId('recovery-code').fill(codeFrom(mail));
          await page.getByTestId('step-submit').click();
          await expectStep(page, 3);
        });

        await test.step('step 3: each radio is named by its identifier, holder and children', async () => {
          for (const a of [claire, karim]) {
            const children = W.children(a.children.length, label(a));
            const radio = page.getByRole('radio', { name: W.radio(a.identifier, a.name, children), exact: true });
            await expect(radio).toHaveCount(1);
            await expect(radio).not.toBeChecked();
            await expect(page.getByTestId(`pick-children-${a.identifier}`)).toHaveText(children);
          }
          await screenshot(page, testInfo, `children-3-${tag}`);
          // axe runs inside the page: it needs JavaScript. The page
          // without it is the same HTML, scanned in the runs with it.
          if (js) await expectNoAxeViolations(page, testInfo, `recovery-children-3-${tag}`, { soft: true });
        });

        const pw = goodPassword();
        await test.step('set Karim\'s password: the confirmation names his child', async () => {
          const children = W.children(1, label(karim));
          await page.getByRole('radio', { name: W.radio(karim.identifier, karim.name, children), exact: true }).check();
          await page.getByTestId('field-password').fill(pw);
          await page.getByTestId('field-confirm').fill(pw);
          await page.getByTestId('step-submit').click();
          await expectStep(page, 4);
          await expect(page.getByTestId('recovery-done-identifier')).toHaveText(T.identifierIs(karim.identifier));
          await expect(page.getByTestId('recovery-done-children')).toHaveText(children);
        });

        await test.step('Karim signs in and finds his child on his page', async () => {
          await page.context().clearCookies();
          await page.goto(`/?lang=${lang}`);
          await login(page, karim.identifier, pw, { goto: false });
          await expect(page.getByTestId('espace-greeting')).toHaveText(T.greeting(karim.name));
          await expect(page.getByTestId('espace-children')).toHaveText(label(karim));
          await expect(page.locator('dt').filter({ hasText: new RegExp(`^${W.espaceChildren(1)}$`) })).toHaveCount(1);
        });
      });
    }
  });
}
