// A family without e-mail starts with a letter (issue 14): the school
// imports an adult without an address, prints their letter with
// `sesame letters`, and the test reads it as a parent would — the code
// and the link written on the page (pdf-parse extracts the text) and the
// QR code (pdf-parse extracts the image, jsQR decodes it) — then
// activates on the phone profile, with JavaScript through the QR code's
// link and without JavaScript by typing the identifier and the code,
// and signs in.
import { test, expect, goodPassword, screenshot, sesame } from './helpers';
import { settled } from './recovery';
import type { Page, TestInfo } from '@playwright/test';
import { PDFParse } from 'pdf-parse';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import jsQR from 'jsqr';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

type Letter = { identifier: string; code: string; link: string; qr: string; text: string };

/** An adult without e-mail from a school export, with a pupil: their identifier. */
async function importAdultWithoutEmail(): Promise<{ identifier: string; name: string }> {
  const tag = Array.from(randomBytes(6), (b) => String.fromCharCode(97 + (b % 26))).join('');
  const last = `Lettre-${tag[0].toUpperCase()}${tag.slice(1)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sesame-e2e-'));
  const file = path.join(dir, 'export.csv');
  fs.writeFileSync(file, ['Civilité;Nom;Prénom;Courriel;Nom élève;Prénom élève;Classe', `Mme;${last};Aminata;;${last};Moussa;6e C`, ''].join('\r\n'));
  try {
    const out = await sesame('accounts', ['import', file]);
    expect(out).toContain('Adults without e-mail (they will need a printed letter) (1)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const list = await sesame('accounts', ['list', '--not-activated', '--class', '6e C']);
  const row = list.split('\n').find((l) => l.includes(`Aminata ${last}`));
  expect(row, `the imported adult in:\n${list}`).toBeDefined();
  return { identifier: row!.trim().split(/\s+/)[0], name: `Aminata ${last}` };
}

/** Prints the adult's letter and reads it back: text, code, link, QR code. */
async function printLetter(identifier: string, testInfo: TestInfo): Promise<Letter> {
  const file = testInfo.outputPath('lettre.pdf');
  const out = await sesame('letters', ['--account', identifier, '-o', file]);
  expect(out).toContain('1 letter(s)');
  const parser = new PDFParse({ data: fs.readFileSync(file) });
  try {
    const text = (await parser.getText()).pages.map((p: { text: string }) => p.text).join('\n');
    const code = /\b([0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4})\b/.exec(text)?.[1];
    const link = /(https?:\/\/\S+\/activation\?\S+)/.exec(text)?.[1];
    expect(code, `an activation code in the letter:\n${text}`).toBeDefined();
    expect(link, `the activation link in the letter:\n${text}`).toBeDefined();
    const images = (await parser.getImage({ imageThreshold: 50, imageDataUrl: false })).pages.flatMap((p: { images: { data: Uint8Array }[] }) => p.images);
    expect(images.length, 'the QR code image').toBeGreaterThan(0);
    const img = await loadImage(Buffer.from(images[0].data));
    const canvas = createCanvas(img.width, img.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const rgba = ctx.getImageData(0, 0, img.width, img.height);
    const qr = jsQR(new Uint8ClampedArray(rgba.data), img.width, img.height);
    expect(qr, 'the QR code decodes').not.toBeNull();
    return { identifier, code: code!, link: link!, qr: qr!.data, text };
  } finally {
    await parser.destroy();
  }
}

async function step(page: Page, n: 1 | 2 | 3) {
  await expect(page.getByTestId('activation-card')).toHaveAttribute('data-step', String(n));
  await settled(page);
}

/** Step 2 to the parent's space: the password twice, « Se connecter », sign-in. */
async function choosePasswordAndSignIn(page: Page, identifier: string, name: string, testInfo: TestInfo, tag: string) {
  const password = goodPassword();
  await step(page, 2);
  await page.getByTestId('field-password').fill(password);
  await page.getByTestId('field-confirm').fill(password);
  await page.getByTestId('step-submit').click();
  await step(page, 3);
  await screenshot(page, testInfo, `${tag}-letter-activated`);
  await page.getByTestId('activation-login').click();
  await expect(page.getByTestId('login-identifier')).toHaveValue(identifier);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('espace-greeting')).toHaveText(`Bonjour, ${name}`);
}

test.describe('a family without e-mail activates with its letter', { tag: '@phone-only' }, () => {
  test('with JavaScript, through the QR code', async ({ page, baseURL }, testInfo) => {
    test.setTimeout(60_000);
    const adult = await importAdultWithoutEmail();
    const letter = await printLetter(adult.identifier, testInfo);
    expect(letter.qr).toBe(letter.link);
    expect(letter.link).toBe(`${baseURL}/activation?id=${adult.identifier}&code=${letter.code}`);
    expect(letter.text).toContain(adult.identifier);
    expect(letter.text).toContain('Moussa');
    expect(letter.text).toContain('6e C');
    await page.goto(letter.qr);
    await step(page, 1);
    await expect(page.getByTestId('activation-identifier')).toHaveValue(adult.identifier);
    await page.getByTestId('step-submit').click();
    await choosePasswordAndSignIn(page, adult.identifier, adult.name, testInfo, 'fr');
  });

  test.describe('without JavaScript', () => {
    test.use({ javaScriptEnabled: false });
    test('typing the identifier and the code printed on the letter', async ({ page }, testInfo) => {
      test.setTimeout(60_000);
      const adult = await importAdultWithoutEmail();
      const letter = await printLetter(adult.identifier, testInfo);
      expect(letter.qr).toBe(letter.link);
      await page.goto('/');
      await page.getByRole('link', { name: 'Première connexion ? Activer mon compte' }).click();
      await step(page, 1);
      await page.getByTestId('activation-identifier').fill(adult.identifier);
      // As a parent types it: lower case, no dashes.
      await page.getByTestId('activation-code').fill(letter.code.replaceAll('-', '').toLowerCase());
      await page.getByTestId('step-submit').click();
      await choosePasswordAndSignIn(page, adult.identifier, adult.name, testInfo, 'fr-nojs');
    });
  });
});
