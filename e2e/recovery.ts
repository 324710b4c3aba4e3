// What the recovery specs share: the words a parent reads (copy.md, the
// locale files), and small steps of the flow.
import type { Locator, Page } from '@playwright/test';
import { expect } from './helpers';

export type Lang = 'fr' | 'en';

export const TEXT = {
  fr: {
    loginLink: 'Récupérer son identifiant et son mot de passe',
    title: 'Récupérer votre identifiant / mot de passe',
    step1: 'Saisissez votre adresse e-mail',
    step2: 'Saisissez votre code de sécurité reçu par e-mail',
    step3: 'Définissez votre nouveau mot de passe',
    submit: 'Valider',
    cancel: 'Annuler',
    resend: 'Recevoir un nouveau code',
    sent: /^Si cette adresse est connue de l'établissement, un code de sécurité vient d'y être envoyé\. Il est valable \d+ minutes?, jusqu'à \d{1,2} h \d\d\./,
    wrong4: "Ce code n'est pas le bon. Il vous reste 4 essais.",
    expired: /^Ce code n'est plus valable/,
    cooldown: /^Un code vient d'être envoyé\. Attendez encore \d+ secondes? avant d'en demander un nouveau\.$/,
    policy: 'Ce mot de passe ne respecte pas toutes les règles ci-dessous.',
    mismatch: /^La confirmation ne correspond pas au mot de passe/,
    done: 'Sésame vous confirme que votre mot de passe a été mis à jour.',
    identifierIs: (id: string) => `Votre identifiant : ${id}`,
    greeting: (name: string) => `Bonjour, ${name}`,
    codeSubject: /^\d{4} \d{4} est votre code Sésame$/,
    changedSubject: /^Votre mot de passe de l'Espace Parents a été modifié$/,
    help: "En cas de difficulté, vous pouvez contacter le secrétariat de l'établissement",
  },
  en: {
    loginLink: 'Recover your username and password',
    title: 'Recover your username / password',
    step1: 'Enter your e-mail address',
    step2: 'Enter the security code you received by e-mail',
    step3: 'Choose your new password',
    submit: 'Continue',
    cancel: 'Cancel',
    resend: 'Get a new code',
    sent: /^If this address is known to the school, a security code has just been sent to it\. It is valid for \d+ minutes?, until \d\d:\d\d\./,
    wrong4: 'This code is not the right one. You have 4 tries left.',
    expired: /^This code is no longer valid/,
    cooldown: /^A code has just been sent\. Please wait \d+ more seconds? before asking for a new one\.$/,
    policy: 'This password does not meet all the rules below.',
    mismatch: /^The confirmation does not match the password/,
    done: 'Sésame confirms that your password has been updated.',
    identifierIs: (id: string) => `Your username: ${id}`,
    greeting: (name: string) => `Hello, ${name}`,
    codeSubject: /^\d{4} \d{4} is your Sésame security code$/,
    changedSubject: /^Your Parents' area password has been changed$/,
    help: 'If you have any difficulty, you can contact the school office',
  },
} as const;

/** The recovery card, swapped as a whole at each step. */
export function card(page: Page): Locator {
  return page.getByTestId('recovery-card');
}

/**
 * Waits until htmx has finished the swap in progress, settle included.
 * Until then the new card's hx- attributes are not processed, so a field
 * filled at once fires no request: a parent cannot type within htmx's
 * 20 ms settle, but a loaded test machine can (the live checklist then
 * stayed on the previous password's verdict). Without JavaScript there is
 * nothing to wait for.
 */
export async function settled(page: Page) {
  await page.waitForFunction(() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added'));
}

/** Waits until the card shows step n (4: the confirmation), settled. */
export async function expectStep(page: Page, n: 1 | 2 | 3 | 4) {
  await expect(card(page)).toHaveAttribute('data-step', String(n));
  await settled(page);
  if (n <= 3) {
    // The list of the three steps marks the current one.
    const current = page.getByTestId('steps').locator('li[aria-current="step"]');
    await expect(current).toHaveCount(1);
    await expect(page.getByTestId('steps').locator('li').nth(n - 1)).toHaveAttribute('aria-current', 'step');
  }
}

/** The data-testids inside the card, in document order: what the parent sees, without the words. */
export function shape(page: Page): Promise<string[]> {
  return card(page)
    .locator('[data-testid]')
    .evaluateAll((els) => els.filter((e) => (e as HTMLElement).offsetParent !== null || e.tagName === 'INPUT').map((e) => e.getAttribute('data-testid')!));
}

/** The rule item of the live list: policy.length, policy.digit, … */
export function rule(page: Page, id: string): Locator {
  return page.getByTestId('rules').locator(`li[data-rule="${id}"]`);
}

/** One password per rule of the seed's policy that breaks that rule (and, where possible, only it). */
export function policyBreakers(parent: { lastName: string }): [string, string][] {
  return [
    ['policy.length', 'Abc-12'],
    ['policy.digit', 'Cartable-Bleu'],
    ['policy.letter', '2026-1234-5678'],
    ['policy.personal', `${parent.lastName}-Velo-2026`],
    ['policy.common', 'azerty123'],
    ['policy.predictable', 'qqqqqqqqq7'],
  ];
}
