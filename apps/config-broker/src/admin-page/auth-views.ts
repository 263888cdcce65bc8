import { html, Html } from './html';
import { csrfField, errorLine, page, Viewer } from './layout';

/** Login: a tenant admin's email and password, or (second form) the vendor admin's token. */
export function loginPage(o: { base: string; csrf: string; email?: string; error?: string; notice?: string }): Html {
  return page({
    base: o.base,
    title: 'Log in',
    ...(o.notice !== undefined ? { notice: o.notice } : {}),
    body: html`${errorLine(o.error)}
<section aria-labelledby="tenant-login">
<h2 id="tenant-login">Tenant admin</h2>
<form method="post" action="${o.base}/login">${csrfField(o.csrf)}
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${o.email ?? ''}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>
</section>
<section aria-labelledby="vendor-login">
<h2 id="vendor-login">Vendor admin</h2>
<form method="post" action="${o.base}/login">${csrfField(o.csrf)}
<label for="adminToken">Broker admin token</label><input id="adminToken" name="adminToken" type="password" autocomplete="off" required>
<button type="submit">Log in with the admin token</button>
</form>
</section>`,
  });
}

/** Accepting an invitation: the one-time token (hidden) and a new password, typed twice. */
export function invitePage(o: { base: string; csrf: string; token: string; error?: string; minPasswordLength: number }): Html {
  return page({
    base: o.base,
    title: 'Accept your invitation',
    body: html`${errorLine(o.error)}
<p>Choose the password of your tenant admin account (at least ${o.minPasswordLength} characters).</p>
<form method="post" action="${o.base}/invite">${csrfField(o.csrf)}
<input type="hidden" name="token" value="${o.token}">
<label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="${o.minPasswordLength}" required>
<label for="password2">New password again</label><input id="password2" name="password2" type="password" autocomplete="new-password" minlength="${o.minPasswordLength}" required>
<button type="submit">Set password</button>
</form>`,
  });
}

/** A page that only says something (an error, a refusal, a done step) with a way on. */
export function messagePage(o: { base: string; title: string; message: string; viewer?: Viewer; link?: { href: string; label: string } }): Html {
  return page({
    base: o.base,
    title: o.title,
    ...(o.viewer !== undefined ? { viewer: o.viewer } : {}),
    body: html`<p role="alert">${o.message}</p>${o.link === undefined ? html`` : html`<p><a href="${o.link.href}">${o.link.label}</a></p>`}`,
  });
}
