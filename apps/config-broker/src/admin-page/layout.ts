import { html, Html, HtmlValue } from './html';

/** Who is looking at a page (from the session cookie); only for navigation and forms' CSRF tokens. */
export interface Viewer {
  kind: 'vendor-admin' | 'tenant-admin';
  /** The CSRF token every form of this viewer carries. */
  csrf: string;
}

/** The hidden CSRF field every form carries. */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

/** A one-button form posting to `action` (with the CSRF token and optional hidden fields). */
export function actionButton(action: string, label: string, csrf: string, fields: Record<string, string> = {}): Html {
  return html`<form class="inline" method="post" action="${action}">${csrfField(csrf)}${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}<button type="submit">${label}</button></form>`;
}

export function errorLine(message: string | undefined): Html {
  return message === undefined ? html`` : html`<p class="error" role="alert">${message}</p>`;
}

/** The whole document: header with navigation and logout, then `body`. */
export function page(o: { base: string; title: string; viewer?: Viewer; notice?: string; body: HtmlValue }): Html {
  const v = o.viewer;
  const nav =
    v === undefined
      ? html``
      : v.kind === 'vendor-admin'
        ? html`<nav aria-label="Main"><a href="${o.base}/tenants">Tenants</a><a href="${o.base}/service-accounts">Service accounts</a></nav>`
        : html`<nav aria-label="Main"><a href="${o.base}/">My tenant</a></nav>`;
  const who = v === undefined ? html`` : html`<span>${v.kind === 'vendor-admin' ? 'Vendor admin' : 'Tenant admin'}</span> <form class="inline" method="post" action="${o.base}/logout">${csrfField(v.csrf)}<button type="submit">Log out</button></form>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Tenant Security configuration broker</title>
<link rel="stylesheet" href="${o.base}/admin.css">
</head>
<body>
<header><p><strong>Configuration broker</strong></p>${nav}<div>${who}</div></header>
<main>
<h1>${o.title}</h1>
${o.notice === undefined ? html`` : html`<p class="notice" role="status">${o.notice}</p>`}
${o.body}
</main>
</body>
</html>
`;
}
