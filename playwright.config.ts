// Browser tests of Sésame, in Debian's Chromium (/usr/bin/chromium).
//
// Playwright never downloads a browser here: npm ci runs with
// PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 (scripts/install-deps.sh) and every
// project launches the system Chromium through executablePath, with no
// `channel`. e2e/global-setup.ts starts the freshly built bin/sesame on a
// free port with a fresh data file, sending its mail through the repo's
// SMTP sink (bin/smtpsink), plus a second server with 3-second security
// codes; tests get the address as baseURL through the fixture in
// e2e/helpers.ts.
//
// Tags: @phone-only tests run on the phone profile only (server-side
// behaviour that the screen size cannot change), @desktop-only on the
// desktop profile only (keyboard runs).
import { defineConfig, devices } from '@playwright/test';

const chromium = {
  // SESAME_E2E_CHROMIUM lets a developer point at another Chromium build;
  // CI and the README use Debian's.
  executablePath: process.env.SESAME_E2E_CHROMIUM || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

export default defineConfig({
  testDir: './e2e',
  outputDir: 'test-results',
  globalSetup: './e2e/global-setup.ts',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  // Generous for a busy 2-core CI machine; a test normally takes a few seconds.
  timeout: 30_000,
  globalTimeout: 10 * 60_000,
  expect: { timeout: 10_000 },
  reporter: [
    ['list'],
    ['html', { outputFolder: 'playwright-report', open: 'never' }],
  ],
  use: {
    // Parents' browsers are French unless a test says otherwise
    // (Playwright's own default would send Accept-Language: en-US).
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
  },
  projects: [
    {
      name: 'phone',
      // @desktop-only: keyboard runs (a phone has no Tab key); the desktop
      // profile runs them.
      grepInvert: /@desktop-only/,
      use: {
        ...devices['Pixel 7'],
        browserName: 'chromium',
        launchOptions: chromium,
      },
    },
    {
      name: 'desktop',
      // @phone-only: checks that the screen size cannot change (server-side
      // behaviour, translations); the phone profile runs them.
      grepInvert: /@phone-only/,
      use: {
        ...devices['Desktop Chrome'],
        browserName: 'chromium',
        launchOptions: chromium,
      },
    },
  ],
});
