import type { KmsConfigView, LoggingConfigView, Tenant, TenantAdmin, TenantSecretView } from '@tsp/broker-store';
import { html, Html } from './html';
import { actionButton, csrfField, errorLine, page, Viewer } from './layout';
import type { FormErrors, FormValues } from './vendor-views';

/** The key path fields of each KMS type, as the providers define them (form field `keyPath.<name>`). */
export const KEY_PATH_FIELDS: Readonly<Record<string, readonly { name: string; label: string }[]>> = {
  local: [{ name: 'name', label: 'Key name (a label)' }],
  aws: [
    { name: 'keyID', label: 'Key id, key ARN, alias name or alias ARN' },
    { name: 'region', label: 'Region (e.g. eu-central-1)' },
  ],
  gcp: [
    { name: 'projectId', label: 'Project id' },
    { name: 'locationId', label: 'Location id (e.g. global)' },
    { name: 'keyRingId', label: 'Key ring id' },
    { name: 'cryptoKeyId', label: 'Crypto key id' },
  ],
  azure: [
    { name: 'vaultBaseUrl', label: 'Vault URL (https://<vault>.vault.azure.net)' },
    { name: 'keyName', label: 'Key name' },
  ],
};

export interface TenantPageData {
  tenant: Tenant;
  kmsConfigs: KmsConfigView[];
  /** undefined: the tenant has none. */
  logging: LoggingConfigView | undefined;
  /** undefined: the broker has no tenant secret route (the section is left out). */
  secrets: TenantSecretView[] | undefined;
  admins: TenantAdmin[];
}

export function tenantPage(o: { base: string; viewer: Viewer; data: TenantPageData; notice?: string; errors?: FormErrors; values?: FormValues }): Html {
  const { tenant, kmsConfigs, logging, secrets, admins } = o.data;
  const t = `${o.base}/tenants/${tenant.id}`;
  const csrf = o.viewer.csrf;
  return page({
    base: o.base,
    title: `Tenant ${tenant.name}`,
    viewer: o.viewer,
    ...(o.notice !== undefined ? { notice: o.notice } : {}),
    body: html`<p>Id <code>${tenant.id}</code>; tags: ${tenant.tags.length === 0 ? 'none' : tenant.tags.join(', ')}; ${tenant.archived ? 'archived' : 'active'}${tenant.leasingRequired ? '; leasing required' : ''}.</p>
<h2 id="kms">KMS configurations</h2>
${errorLine(o.errors?.['kms'])}
${kmsTable(t, csrf, kmsConfigs)}
${kmsForm(t, csrf, o.errors?.['kms-add'], o.values ?? {})}
<h2 id="logging">Logging</h2>
${loggingForm(t, csrf, logging, o.errors?.['logging'], o.values?.['loggingJson'])}
${secrets === undefined ? html`` : secretsTable(secrets)}
<h2 id="admins">Tenant admins</h2>
${errorLine(o.errors?.['admins'])}
${adminsTable(o.base, csrf, t, admins)}`,
  });
}

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}

function kmsTable(t: string, csrf: string, configs: KmsConfigView[]): Html {
  if (configs.length === 0) return html`<p>No KMS configuration yet.</p>`;
  const rows = configs.map((c) => {
    const act = `${t}/kms-configs/${c.id}`;
    return html`<tr data-kms-config-id="${c.id}"><td>${c.id}</td><td>${c.type}</td><td><code>${JSON.stringify(c.keyPath)}</code>${c.endpoint === undefined ? '' : html`<br><span class="muted">${c.endpoint}</span>`}</td>
<td>${yesNo(c.active)}</td><td>${yesNo(c.primary)}</td><td>${yesNo(c.leasingAllowed)}</td>
<td>${c.primary ? html`` : actionButton(act, 'Make primary', csrf, { change: 'primary' })}${c.active ? (c.primary ? html`` : actionButton(act, 'Deactivate', csrf, { change: 'deactivate' })) : actionButton(act, 'Activate', csrf, { change: 'activate' })}${actionButton(act, c.leasingAllowed ? 'Leasing off' : 'Leasing on', csrf, { change: c.leasingAllowed ? 'leasing-off' : 'leasing-on' })}</td></tr>`;
  });
  return html`<table><thead><tr><th scope="col">Id</th><th scope="col">Type</th><th scope="col">Key path</th><th scope="col">Active</th><th scope="col">Primary</th><th scope="col">Leasing</th><th scope="col">Actions</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function kmsForm(t: string, csrf: string, error: string | undefined, v: FormValues): Html {
  const types = Object.keys(KEY_PATH_FIELDS);
  const fieldsets = types.map(
    (type) => html`<fieldset><legend>Key path when the type is ${type}</legend>${(KEY_PATH_FIELDS[type] ?? []).map((f) => {
      const id = `kp-${type}-${f.name}`;
      return html`<label for="${id}">${f.label}</label><input id="${id}" name="keyPath.${type}.${f.name}" type="text" value="${v[`keyPath.${type}.${f.name}`] ?? ''}">`;
    })}</fieldset>`,
  );
  const checked = (name: string, dflt: boolean): Html => ((v[name] !== undefined ? v[name] === 'true' : dflt) ? html` checked` : html``);
  return html`<h3 id="add-kms">Add a KMS configuration</h3>
${errorLine(error)}
<form method="post" action="${t}/kms-configs" aria-labelledby="add-kms">${csrfField(csrf)}
<label for="kms-type">Type</label><select id="kms-type" name="type">${types.map((type) => html`<option value="${type}"${v['type'] === type ? html` selected` : html``}>${type}</option>`)}</select>
${fieldsets}
<label for="kms-endpoint">Endpoint (optional: a private or loopback KMS endpoint)</label><input id="kms-endpoint" name="endpoint" type="url" value="${v['endpoint'] ?? ''}">
<label for="kms-credentials">Credentials (JSON object; write-only: never shown again)</label><textarea id="kms-credentials" name="credentials" required autocomplete="off" spellcheck="false"></textarea>
<p><label class="check"><input type="checkbox" name="active" value="true"${checked('active', true)}> Active</label>
<label class="check"><input type="checkbox" name="primary" value="true"${checked('primary', false)}> Primary</label>
<label class="check"><input type="checkbox" name="leasingAllowed" value="true"${checked('leasingAllowed', false)}> Leasing allowed</label></p>
<p><button type="submit">Add KMS configuration</button></p>
</form>`;
}

function loggingForm(t: string, csrf: string, logging: LoggingConfigView | undefined, error: string | undefined, typed: string | undefined): Html {
  const current =
    logging === undefined
      ? ''
      : JSON.stringify(
          {
            sinks: logging.sinks.map((s) => ({ id: s.id, type: s.type, settings: s.settings })),
            ...(logging.rateLimit !== undefined ? { rateLimit: logging.rateLimit } : {}),
            ...(logging.batch !== undefined ? { batch: logging.batch } : {}),
          },
          null,
          2,
        );
  const withCreds = logging?.sinks.filter((s) => s.hasCredentials).map((s) => s.id) ?? [];
  return html`${logging === undefined ? html`<p>No logging configuration: the tenant's events go to the logdriver's default sink.</p>` : html`<p>Updated ${logging.updatedAt}.${withCreds.length > 0 ? html` Sinks with stored credentials: ${withCreds.join(', ')}.` : ''}</p>`}
${errorLine(error)}
<form method="post" action="${t}/logging-config" aria-labelledby="logging">${csrfField(csrf)}
<label for="logging-json">Logging configuration (JSON: sinks, rateLimit, batch; without credentials)</label><textarea id="logging-json" name="loggingJson" required spellcheck="false">${typed ?? current}</textarea>
<label for="logging-credentials">Sink credentials (JSON object: sink id → credentials; write-only, never shown again)</label><textarea id="logging-credentials" name="credentials" autocomplete="off" spellcheck="false"></textarea>
<p class="muted">Saving replaces the whole configuration, credentials included: enter the credentials of every sink that needs them.</p>
<p><button type="submit">Replace logging configuration</button></p>
</form>`;
}

function secretsTable(secrets: TenantSecretView[]): Html {
  const rows = secrets.map((s) => html`<tr><td>${s.id}</td><td>${s.secretPath}</td><td>${s.secretType}</td><td>${s.status}</td><td>${s.createdAt}</td></tr>`);
  return html`<h2 id="secrets">Tenant secrets</h2>
${secrets.length === 0 ? html`<p>No tenant secret yet.</p>` : html`<table><thead><tr><th scope="col">Id</th><th scope="col">Path</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead><tbody>${rows}</tbody></table>`}`;
}

function adminsTable(base: string, csrf: string, t: string, admins: TenantAdmin[]): Html {
  const rows = admins.map(
    (a) => html`<tr><td>${a.email}</td><td>${a.status}</td><td>${a.lastLoginAt ?? html`<span class="muted">never</span>`}</td><td>${actionButton(`${base}/tenant-admins/${a.id}/remove`, 'Remove', csrf, { tenantId: a.tenantId })}</td></tr>`,
  );
  return html`${admins.length === 0 ? html`<p>No tenant admin yet.</p>` : html`<table><thead><tr><th scope="col">Email</th><th scope="col">Status</th><th scope="col">Last login</th><th scope="col">Actions</th></tr></thead><tbody>${rows}</tbody></table>`}
<h3 id="invite-admin">Invite a tenant admin</h3>
<form method="post" action="${t}/admins" aria-labelledby="invite-admin">${csrfField(csrf)}
<label for="invite-email">Email</label><input id="invite-email" name="email" type="email" required>
<p><button type="submit">Invite</button></p>
</form>`;
}
