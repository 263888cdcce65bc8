import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackUrl, launchLoopbackChromium, LoopbackBrowser } from './chromium';

describe('launchLoopbackChromium', () => {
  let server: Server;
  let browser: LoopbackBrowser | undefined;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.setHeader('content-type', 'text/html; charset=utf-8');
      // A page that asks for two off-loopback resources: the context must refuse both.
      res.end('<!doctype html><title>loopback page</title><h1>here</h1><img src="http://example.com/x.png"><img src="http://10.20.30.40/y.png">');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server.close(r));
  });

  it('drives the Debian Chromium on loopback and aborts every request off 127.0.0.1', async () => {
    browser = await launchLoopbackChromium();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/page`;
    await browser.page.goto(url);
    expect(await browser.page.locator('h1').textContent()).toBe('here');
    expect(seen).toContain('/page');
    await browser.page.waitForLoadState('load');
    expect(browser.refused.sort()).toEqual(['http://10.20.30.40/y.png', 'http://example.com/x.png']);
  }, 30000);

  it('treats only 127.0.0.1 (and data:/about:blank) as loopback', () => {
    expect(isLoopbackUrl('http://127.0.0.1:9/a')).toBe(true);
    expect(isLoopbackUrl('data:text/plain,x')).toBe(true);
    expect(isLoopbackUrl('http://localhost.example.com/')).toBe(false);
    expect(isLoopbackUrl('https://8.8.8.8/')).toBe(false);
    expect(isLoopbackUrl('not a url')).toBe(false);
  });
});
