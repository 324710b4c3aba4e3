// The guards every browser test runs (issue 11), wired into the shared
// fixture of e2e/helpers.ts so no spec can forget them:
//
// - no console error, page error or CSP violation (securitypolicyviolation
//   events, reported by an init script) on any page of the test's context,
//   and no HTTP error status from the server that the test did not declare
//   with `test.use({ allowedStatuses: [...] })` (a test that cuts the
//   network on purpose declares it: test.use({ allowNetworkErrors: true }));
// - no sideways scroll: every distinct page and recovery step the test
//   showed is laid out again at 320, 360 and 390 px wide, where
//   document.documentElement.scrollWidth must not exceed the viewport;
// - the language switch of the page the test ends on leads to a 200 page
//   in the other language at the same step (expectSwitcher, which flow
//   tests also call at each step).
import { request, type Browser, type BrowserContext, type Page, type TestInfo } from '@playwright/test';
import { expect } from '@playwright/test';

/** The widths of the phones parents use, narrowest first. */
export const GUARD_WIDTHS = [320, 360, 390];

/** What the page-side script reports through the binding. */
type Snapshot = { key: string; url: string; html: string };

declare global {
  interface Window {
    __cspViolations: string[];
    __sesameGuard?: (kind: string, detail: unknown) => void;
  }
}

// Layouts already checked by this worker (a layout is the same page, step,
// language and set of elements): each is checked once per project.
const checkedLayouts = new Set<string>();

/** Records problems and page layouts of one test's browser context. */
export class Guard {
  problems: string[] = [];
  snapshots = new Map<string, Snapshot>();

  constructor(
    private baseURL: string,
    private allowedStatuses: number[],
    private allowNetworkErrors = false,
  ) {}

  async install(context: BrowserContext) {
    await context.exposeBinding('__sesameGuard', (source, kind: string, detail: unknown) => {
      if (kind === 'csp') this.problems.push(`CSP violation on ${source.page?.url()}: ${detail}`);
      if (kind === 'snap') {
        const s = detail as Snapshot;
        if (!this.snapshots.has(s.key)) this.snapshots.set(s.key, s);
      }
    });
    await context.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        const v = `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}${e.sample ? ` (${e.sample})` : ''}`;
        window.__cspViolations.push(v);
        window.__sesameGuard?.('csp', v);
      });
      // A copy of the page as laid out, after the page's own script ran
      // and after each htmx swap: the overflow check lays it out again at
      // each phone width once the test is over.
      const snap = () => {
        if (!document.documentElement || !document.body) return;
        const card = document.querySelector('[data-testid="recovery-card"]');
        const ids = Array.from(document.querySelectorAll('main [data-testid]'), (e) => e.getAttribute('data-testid')).join(',');
        const key = [document.documentElement.lang, location.pathname, card?.getAttribute('data-step') ?? '', ids].join('|');
        const doc = document.documentElement.cloneNode(true) as HTMLElement;
        doc.querySelectorAll('script').forEach((s) => s.remove());
        window.__sesameGuard?.('snap', { key, url: location.href, html: '<!DOCTYPE html>' + doc.outerHTML });
      };
      window.addEventListener('load', () => setTimeout(snap, 0));
      document.addEventListener('htmx:afterSettle', () => setTimeout(snap, 0));
    });
    context.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      // An HTTP error status is checked below, against the statuses the
      // test expects.
      if (/^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) return;
      // A request the test cut on purpose (route.abort): the browser's
      // own line and htmx's (it logs every error event: sendError and
      // afterRequest).
      if (this.allowNetworkErrors && /^Failed to load resource: net::ERR_|^htmx:(sendError|afterRequest)\b/.test(msg.text())) return;
      const loc = msg.location();
      this.problems.push(`console error on ${msg.page()?.url()}: ${msg.text()} (${loc.url}:${loc.lineNumber})`);
    });
    context.on('weberror', (err) => this.problems.push(`page error on ${err.page()?.url()}: ${err.error().message}`));
    context.on('response', (r) => {
      const u = r.url();
      if (r.status() < 400 || !(u === this.baseURL || u.startsWith(this.baseURL + '/'))) return;
      if (!this.allowedStatuses.includes(r.status())) {
        this.problems.push(`HTTP ${r.status()} for ${r.request().method()} ${u}, which the test does not expect (test.use({ allowedStatuses }))`);
      }
    });
  }

  /**
   * Lays every page the test showed out again at each phone width, in a
   * new context like the test's (a phone or a desktop browser), and
   * returns one line per page and width that scrolls sideways.
   */
  async overflow(browser: Browser, testInfo: TestInfo): Promise<string[]> {
    const todo = [...this.snapshots.values()].filter((s) => !checkedLayouts.has(testInfo.project.name + '|' + s.key));
    if (todo.length === 0) return [];
    const use = testInfo.project.use;
    const ctx = await browser.newContext({
      isMobile: use.isMobile,
      hasTouch: use.hasTouch,
      deviceScaleFactor: use.deviceScaleFactor,
      userAgent: use.userAgent,
      viewport: { width: GUARD_WIDTHS[0], height: 800 },
      javaScriptEnabled: false,
    });
    const out: string[] = [];
    try {
      const page = await ctx.newPage();
      for (const s of todo) {
        checkedLayouts.add(testInfo.project.name + '|' + s.key);
        // Same origin as the server, so its stylesheet loads (it is served
        // with Cross-Origin-Resource-Policy: same-origin).
        await page.route(`${this.baseURL}/__guard-layout`, (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: s.html }));
        await page.goto(`${this.baseURL}/__guard-layout`, { waitUntil: 'load' });
        for (const w of GUARD_WIDTHS) {
          await page.setViewportSize({ width: w, height: 800 });
          const r = await page.evaluate((w) => {
            const de = document.documentElement;
            const over: string[] = [];
            if (de.scrollWidth > w || de.scrollWidth > window.innerWidth) {
              for (const el of Array.from(document.querySelectorAll('body *'))) {
                const b = el.getBoundingClientRect();
                if (b.right > w + 0.5) over.push(`<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} class="${el.getAttribute('class') ?? ''}" name="${el.getAttribute('name') ?? ''}"> ends at x=${Math.round(b.right)}`);
              }
            }
            return { sw: de.scrollWidth, iw: window.innerWidth, over: over.slice(0, 5) };
          }, w);
          if (r.sw > w || r.sw > r.iw) out.push(`${s.url} [${s.key}] at ${w} px: scrollWidth ${r.sw} > ${Math.min(w, r.iw)}; ${r.over.join('; ')}`);
        }
        await page.unroute(`${this.baseURL}/__guard-layout`);
      }
    } finally {
      await ctx.close();
    }
    return out;
  }
}

/** What identifies the page a parent is on: the recovery step, else the page's main element. */
async function pageKind(html: string | Page): Promise<{ lang: string; kind: string }> {
  const fromHTML = (h: string) => {
    const lang = /<html lang="([a-z]+)"/.exec(h)?.[1] ?? '';
    const step = /data-testid="recovery-card"[^>]*data-step="(\d)"|data-step="(\d)"[^>]*data-testid="recovery-card"/.exec(h);
    if (step) return { lang, kind: `recovery step ${step[1] ?? step[2]}` };
    const act = /data-testid="activation-card"[^>]*data-step="(\d)"|data-step="(\d)"[^>]*data-testid="activation-card"/.exec(h);
    if (act) return { lang, kind: `activation step ${act[1] ?? act[2]}` };
    for (const k of ['error-page', 'espace-greeting', 'policy-page', 'legal-mentions-legales', 'legal-donnees-personnelles',
      'legal-accessibilite', 'mailbox', 'login-submit']) {
      if (h.includes(`data-testid="${k}"`)) return { lang, kind: k };
    }
    return { lang, kind: 'unknown' };
  };
  return fromHTML(typeof html === 'string' ? html : await html.content());
}

/**
 * Follows the language switch of the page as a new browser with the same
 * cookies would (the test's own browser, its language cookie included,
 * is left alone): the other language's link must answer 200, in that
 * language, at the same recovery step or on the same page (an error page
 * leads to the page the parent was on). A GET on the page's own address
 * (Back, a reload: a POST address after a plain form) must answer 200 too.
 */
export async function expectSwitcher(page: Page) {
  const here = await pageKind(page);
  if (here.kind === 'unknown') return;
  const other = here.lang === 'fr' ? 'en' : 'fr';
  const href = await page.getByTestId(`lang-${other}`).getAttribute('href');
  expect(href, `the language switch of ${page.url()}`).toBeTruthy();
  const base = new URL(page.url()).origin;
  const api = await request.newContext({ baseURL: base, storageState: await page.context().storageState() });
  try {
    const resp = await api.get(href!);
    expect(resp.status(), `the ${other} link ${href} of ${here.kind} at ${page.url()}`).toBe(200);
    const there = await pageKind(await resp.text());
    expect(there.lang, `the language of ${href}`).toBe(other);
    if (here.kind !== 'error-page') expect(there.kind, `the page ${href} leads to from ${here.kind} at ${page.url()}`).toBe(here.kind);
    // An error page shown at a page's own address (a 404) is that page;
    // at a form's POST address, a GET there leads back to the form.
    const path = new URL(page.url()).pathname;
    if (here.kind !== 'error-page' || /^\/(login|logout|espace\/mot-de-passe|recuperation\/[a-z-]+|activation\/[a-z-]+)$/.test(path)) {
      const again = await api.get(page.url());
      expect(again.status(), `a GET on ${page.url()} (Back, reload)`).toBe(200);
    }
  } finally {
    await api.dispose();
  }
}
