import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** The Debian package `chromium` provides this launcher (a shell script that sources /etc/chromium.d). */
export const CHROMIUM_LAUNCHER = '/usr/bin/chromium';
/** The browser binary the launcher execs; started directly, so /etc/chromium.d flags (remote extensions, API keys) do not apply. */
const CHROMIUM_BINARY = '/usr/lib/chromium/chromium';

/**
 * Switches that keep the browser's own traffic (updates, sync, metrics, safe browsing, DNS
 * prefetch, ...) from starting, on top of the ones playwright-core already passes. Two nets under
 * them: every host name resolves to nothing but 127.0.0.1, and every non-loopback connection goes
 * to a proxy on a loopback port where nothing listens (Chromium never proxies loopback).
 */
export const LOOPBACK_ONLY_ARGS: readonly string[] = [
  '--no-sandbox',
  '--no-first-run',
  '--no-default-browser-check',
  '--no-pings',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--disable-breakpad',
  '--disable-extensions',
  '--metrics-recording-only',
  '--safebrowsing-disable-auto-update',
  '--dns-prefetch-disable',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  '--proxy-server=http://127.0.0.1:9',
  '--proxy-bypass-list=127.0.0.1',
];

/** The Chromium binary to drive; a clear error naming the Debian package when it is missing. */
export function chromiumExecutable(): string {
  if (!existsSync(CHROMIUM_LAUNCHER)) {
    throw new Error(`Chromium is not installed (${CHROMIUM_LAUNCHER} is missing): install the Debian package 'chromium' (apt-get install chromium), or run tools/test/system-packages.mjs`);
  }
  return existsSync(CHROMIUM_BINARY) ? CHROMIUM_BINARY : CHROMIUM_LAUNCHER;
}

export interface LoopbackBrowser {
  browser: Browser;
  /** One context whose every request to a host other than 127.0.0.1 is aborted (and recorded). */
  context: BrowserContext;
  page: Page;
  /** URLs the context refused (not 127.0.0.1): a test asserts this stays empty. */
  refused: string[];
  close(): Promise<void>;
}

/**
 * Launches the Debian Chromium headless through playwright-core (we run as root, hence
 * --no-sandbox), with a minimal environment, the loopback-only switches, and a context that
 * aborts any page request not addressed to 127.0.0.1. playwright-core is loaded here, lazily, so
 * bundles importing this package do not load it.
 */
export async function launchLoopbackChromium(opts: { timeoutMs?: number } = {}): Promise<LoopbackBrowser> {
  const executablePath = chromiumExecutable();
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [...LOOPBACK_ONLY_ARGS],
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' },
    timeout: opts.timeoutMs ?? 20000,
  });
  try {
    const context = await browser.newContext({ serviceWorkers: 'block', acceptDownloads: false });
    const refused: string[] = [];
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (isLoopbackUrl(url)) await route.continue();
      else {
        refused.push(url);
        await route.abort('blockedbyclient');
      }
    });
    const page = await context.newPage();
    page.setDefaultTimeout(opts.timeoutMs ?? 10000);
    return { browser, context, page, refused, close: () => browser.close() };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

/** http(s) to 127.0.0.1, or a URL that never touches the network (data:, about:blank). */
export function isLoopbackUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'data:' || u.href === 'about:blank') return true;
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname === '127.0.0.1';
}
