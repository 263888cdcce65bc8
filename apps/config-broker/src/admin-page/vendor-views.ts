import type { ServiceAccount, Tenant } from '@tsp/broker-store';
import { html, Html } from './html';
import { actionButton, csrfField, errorLine, page, Viewer } from './layout';

export type FormErrors = Partial<Record<string, string>>;
export type FormValues = Partial<Record<string, string>>;

/** The vendor admin's tenant list: open, archive/unarchive, and a form to create one. */
export function tenantsPage(o: { base: string; viewer: Viewer; tenants: Tenant[]; showArchived: boolean; notice?: string; errors?: FormErrors; values?: FormValues }): Html {
  const v = o.values ?? {};
  const rows = o.tenants.map(
    (t) => html`<tr><td><a href="${o.base}/tenants/${t.id}">${t.id}</a></td><td>${t.name}</td><td>${t.tags.join(', ')}</td><td>${t.archived ? 'archived' : 'active'}</td>
<td>${actionButton(`${o.base}/tenants/${t.id}/archive`, t.archived ? 'Unarchive' : 'Archive', o.viewer.csrf, { archived: t.archived ? 'false' : 'true' })}</td></tr>`,
  );
  return page({
    base: o.base,
    title: 'Tenants',
    viewer: o.viewer,
    ...(o.notice !== undefined ? { notice: o.notice } : {}),
    body: html`${errorLine(o.errors?.['list'])}
<p>${o.showArchived ? html`<a href="${o.base}/tenants">Hide archived tenants</a>` : html`<a href="${o.base}/tenants?archived=1">Show archived tenants</a>`}</p>
<table><caption class="muted">${o.tenants.length} tenant(s)</caption>
<thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Tags</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
<tbody>${rows}</tbody></table>
<h2 id="create-tenant">Create a tenant</h2>
${errorLine(o.errors?.['create'])}
<form method="post" action="${o.base}/tenants" aria-labelledby="create-tenant">${csrfField(o.viewer.csrf)}
<label for="tenant-id">Id</label><input id="tenant-id" name="id" type="text" required value="${v['id'] ?? ''}">
<label for="tenant-name">Name</label><input id="tenant-name" name="name" type="text" required value="${v['name'] ?? ''}">
<label for="tenant-tags">Tags (separated by commas or spaces)</label><input id="tenant-tags" name="tags" type="text" value="${v['tags'] ?? ''}">
<label class="check"><input type="checkbox" name="leasingRequired" value="true"${v['leasingRequired'] === 'true' ? html` checked` : html``}> Leasing required</label>
<p><button type="submit">Create tenant</button></p>
</form>`,
  });
}

/** Service accounts: list with revoke, and a form to create one. */
export function serviceAccountsPage(o: { base: string; viewer: Viewer; accounts: ServiceAccount[]; notice?: string; errors?: FormErrors; values?: FormValues }): Html {
  const v = o.values ?? {};
  const rows = o.accounts.map(
    (a) => html`<tr><td>${a.id}</td><td>${a.name}</td><td>${a.tenantTags.length === 0 ? html`<span class="muted">every tenant</span>` : a.tenantTags.join(', ')}</td>
<td>${a.revokedAt === undefined ? 'active' : html`revoked ${a.revokedAt}`}</td>
<td>${a.revokedAt === undefined ? actionButton(`${o.base}/service-accounts/${a.id}/revoke`, 'Revoke', o.viewer.csrf) : html``}</td></tr>`,
  );
  return page({
    base: o.base,
    title: 'Service accounts',
    viewer: o.viewer,
    ...(o.notice !== undefined ? { notice: o.notice } : {}),
    body: html`${errorLine(o.errors?.['list'])}
<table><thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Tenant tags</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
<tbody>${rows}</tbody></table>
<h2 id="create-sa">Create a service account</h2>
${errorLine(o.errors?.['create'])}
<form method="post" action="${o.base}/service-accounts" aria-labelledby="create-sa">${csrfField(o.viewer.csrf)}
<label for="sa-id">Id</label><input id="sa-id" name="id" type="text" required value="${v['id'] ?? ''}">
<label for="sa-name">Name</label><input id="sa-name" name="name" type="text" required value="${v['name'] ?? ''}">
<label for="sa-tags">Tenant tags it serves (commas or spaces; empty: every tenant)</label><input id="sa-tags" name="tenantTags" type="text" value="${v['tenantTags'] ?? ''}">
<p><button type="submit">Create service account</button></p>
</form>`,
  });
}

/** The one time the env file of a new service account is shown. */
export function envFilePage(o: { base: string; viewer: Viewer; account: ServiceAccount; envFile: string }): Html {
  return page({
    base: o.base,
    title: `Service account ${o.account.id} created`,
    viewer: o.viewer,
    body: html`<p class="warning" role="alert">This is the only time this file is shown: the broker keeps only the public keys. Copy it now into the proxy's service-account file (TSP_SERVICE_ACCOUNT_FILE) and keep it secret.</p>
<pre class="secret" aria-label="Service account env file">${o.envFile}</pre>
<p><a href="${o.base}/service-accounts">Back to service accounts</a></p>`,
  });
}

/** The one time an invitation link is shown. */
export function inviteCreatedPage(o: { base: string; viewer: Viewer; tenantId: string; email: string; inviteUrl: string; expiresAt: string }): Html {
  return page({
    base: o.base,
    title: 'Tenant admin invited',
    viewer: o.viewer,
    body: html`<p class="warning" role="alert">Send this link to ${o.email} over a channel you trust. It is shown only now, works once, and expires at ${o.expiresAt}.</p>
<pre class="secret" aria-label="Invitation link">${o.inviteUrl}</pre>
<p><a href="${o.base}/tenants/${o.tenantId}">Back to the tenant</a></p>`,
  });
}
