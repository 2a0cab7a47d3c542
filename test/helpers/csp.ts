/** Watches a page for what its Content-Security-Policy refused, as the browser reports it. */
import type { Page } from 'playwright-core';

/**
 * Starts watching before the page loads: every `securitypolicyviolation` event the page sees and
 * every "Refused to …" console message (Chromium's report of a blocked load or inline code) lands
 * in the returned list, which stays empty while the page does only what its CSP allows.
 * @example const refused = await watchCsp(page); await page.goto(url); …; assert.deepEqual(refused, []);
 */
export async function watchCsp(page: Page): Promise<string[]> {
  const refused: string[] = [];
  page.on('console', (message) => {
    if (/Refused to|Content Security Policy/.test(message.text())) refused.push(message.text());
  });
  // Bindings and init scripts come in through the DevTools protocol: the page's CSP does not apply to them.
  await page.exposeFunction('reportCspViolation', (what: string) => refused.push(what));
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { reportCspViolation(what: string): void }).reportCspViolation(
        `${e.effectiveDirective} refused ${e.blockedURI || 'inline code'} (${e.sourceFile}:${e.lineNumber})`,
      ),
    ),
  );
  return refused;
}
