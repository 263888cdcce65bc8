import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KmsConfigView, LoggingConfigView, Tenant, TenantAdmin, TenantSecretView } from '@tsp/broker-store';
import { seg } from './api-client';
import { formOf, FormFields } from './form-body';
import type { Viewer } from './layout';
import { noticeOf } from './notices';
import { apiFailurePage, PageContext, redirect, sendPage, viewerOf } from './page-context';
import { inviteCreatedPage, FormErrors, FormValues } from './vendor-views';
import { KEY_PATH_FIELDS, tenantPage, TenantPageData } from './tenant-views';
import { pick } from './vendor-pages';

type Session = { viewer: Viewer; token: string };
type Failure = { ok: false; status: number; code: string; message: string };

/** The PATCH body of each button of a KMS config row. */
const KMS_CHANGES: Readonly<Record<string, Record<string, boolean>>> = {
  primary: { active: true, primary: true },
  activate: { active: true },
  deactivate: { active: false },
  'leasing-on': { leasingAllowed: true },
  'leasing-off': { leasingAllowed: false },
};

/**
 * A tenant's page (its admins, and the vendor admin): KMS configs (add, make primary,
 * activate/deactivate, leasing), the logging config, tenant secrets, tenant admins (invite with
 * the link shown once, remove). Another tenant's admin gets the API's 403.
 */
export function registerTenantPages(scope: FastifyInstance, ctx: PageContext): void {
  const session = (req: FastifyRequest, reply: FastifyReply): Session | undefined => {
    const v = viewerOf(ctx, req);
    if (v === undefined) void redirect(ctx, reply, '/login');
    return v;
  };

  const load = async (s: Session, tenantId: string): Promise<{ ok: true; data: TenantPageData } | Failure> => {
    const t = seg(tenantId);
    const tenant = await ctx.api.call<Tenant>(s.token, 'GET', `/tenants/${t}`);
    if (!tenant.ok) return tenant;
    const [kms, logging, secrets, admins] = await Promise.all([
      ctx.api.call<{ kmsConfigs: KmsConfigView[] }>(s.token, 'GET', `/tenants/${t}/kms-configs`),
      ctx.api.call<LoggingConfigView>(s.token, 'GET', `/tenants/${t}/logging-config`),
      ctx.api.call<{ secrets: TenantSecretView[] }>(s.token, 'GET', `/tenants/${t}/secrets`),
      ctx.api.call<{ admins: TenantAdmin[] }>(s.token, 'GET', `/tenants/${t}/admins`),
    ]);
    if (!kms.ok) return kms;
    if (!admins.ok) return admins;
    if (!logging.ok && logging.status !== 404) return logging;
    return {
      ok: true,
      data: {
        tenant: tenant.body,
        kmsConfigs: kms.body.kmsConfigs,
        logging: logging.ok ? logging.body : undefined,
        // Left out while the broker has no tenant secret route (or refuses it).
        secrets: secrets.ok ? secrets.body.secrets : undefined,
        admins: admins.body.admins,
      },
    };
  };

  const render = async (reply: FastifyReply, s: Session, tenantId: string, o: { status?: number; notice?: string; errors?: FormErrors; values?: FormValues } = {}): Promise<FastifyReply> => {
    const d = await load(s, tenantId);
    if (!d.ok) return apiFailurePage(ctx, reply, s.viewer, d);
    return sendPage(reply, o.status ?? 200, tenantPage({ base: ctx.base, viewer: s.viewer, data: d.data, ...pick(o) }));
  };

  /** A refused change: the session or access problem as its own page, a form problem next to its form. */
  const refused = (reply: FastifyReply, s: Session, tenantId: string, a: Failure, form: string, values?: FormValues): Promise<FastifyReply> | FastifyReply =>
    a.status === 401 || a.status === 403 ? apiFailurePage(ctx, reply, s.viewer, a) : render(reply, s, tenantId, { status: a.status, errors: { [form]: a.message }, ...(values !== undefined ? { values } : {}) });

  scope.get<{ Params: { id: string } }>('/tenants/:id', async (req, reply) => {
    const s = session(req, reply);
    if (s === undefined) return reply;
    const notice = noticeOf(req.query);
    return render(reply, s, req.params.id, notice !== undefined ? { notice } : {});
  });

  scope.post<{ Params: { id: string } }>('/tenants/:id/kms-configs', async (req, reply) => {
    const s = session(req, reply);
    if (s === undefined) return reply;
    const f = formOf(req.body);
    const { credentials: _secret, ...values } = f;
    const body = kmsConfigBody(f);
    if (typeof body === 'string') return render(reply, s, req.params.id, { status: 400, errors: { 'kms-add': body }, values });
    const a = await ctx.api.call<KmsConfigView>(s.token, 'POST', `/tenants/${seg(req.params.id)}/kms-configs`, body);
    if (!a.ok) return refused(reply, s, req.params.id, a, 'kms-add', values);
    return redirect(ctx, reply, `/tenants/${seg(req.params.id)}?notice=kms-added#kms`);
  });

  scope.post<{ Params: { id: string; kid: string } }>('/tenants/:id/kms-configs/:kid', async (req, reply) => {
    const s = session(req, reply);
    if (s === undefined) return reply;
    const patch = KMS_CHANGES[formOf(req.body)['change'] ?? ''];
    if (patch === undefined) return render(reply, s, req.params.id, { status: 400, errors: { kms: 'Unknown change of a KMS configuration.' } });
    const a = await ctx.api.call<KmsConfigView>(s.token, 'PATCH', `/kms-configs/${seg(req.params.kid)}`, patch);
    if (!a.ok) return refused(reply, s, req.params.id, a, 'kms');
    return redirect(ctx, reply, `/tenants/${seg(req.params.id)}?notice=kms-changed#kms`);
  });

  scope.post<{ Params: { id: string } }>('/tenants/:id/logging-config', async (req, reply) => {
    const s = session(req, reply);
    if (s === undefined) return reply;
    const f = formOf(req.body);
    const values = { loggingJson: f['loggingJson'] ?? '' };
    const body = loggingConfigBody(f);
    if (typeof body === 'string') return render(reply, s, req.params.id, { status: 400, errors: { logging: body }, values });
    const a = await ctx.api.call<LoggingConfigView>(s.token, 'PUT', `/tenants/${seg(req.params.id)}/logging-config`, body);
    if (!a.ok) return refused(reply, s, req.params.id, a, 'logging', values);
    return redirect(ctx, reply, `/tenants/${seg(req.params.id)}?notice=logging-saved#logging`);
  });

  scope.post<{ Params: { id: string } }>('/tenants/:id/admins', async (req, reply) => {
    const s = session(req, reply);
    if (s === undefined) return reply;
    const email = (formOf(req.body)['email'] ?? '').trim();
    const a = await ctx.api.call<{ admin: TenantAdmin; inviteUrl: string; expiresAt: string }>(s.token, 'POST', `/tenants/${seg(req.params.id)}/admins`, { email });
    if (!a.ok) return refused(reply, s, req.params.id, a, 'admins');
    // The invitation token is in the link: this answer is the only place it appears.
    return sendPage(reply.header('cache-control', 'no-store'), 201, inviteCreatedPage({ base: ctx.base, viewer: s.viewer, tenantId: req.params.id, email: a.body.admin.email, inviteUrl: a.body.inviteUrl, expiresAt: a.body.expiresAt }));
  });

  scope.post<{ Params: { aid: string } }>('/tenant-admins/:aid/remove', async (req, reply) => {
    const s = session(req, reply);
    if (s === undefined) return reply;
    const tenantId = formOf(req.body)['tenantId'] ?? '';
    const a = await ctx.api.call<undefined>(s.token, 'DELETE', `/tenant-admins/${seg(req.params.aid)}`);
    if (!a.ok) return tenantId === '' ? apiFailurePage(ctx, reply, s.viewer, a) : refused(reply, s, tenantId, a, 'admins');
    return tenantId === '' ? redirect(ctx, reply, '/') : redirect(ctx, reply, `/tenants/${seg(tenantId)}?notice=admin-removed#admins`);
  });
}

/** The API body of the "add a KMS config" form, or a message naming the bad field. */
export function kmsConfigBody(f: FormFields): Record<string, unknown> | string {
  const type = f['type'] ?? '';
  const fields = KEY_PATH_FIELDS[type];
  if (fields === undefined) return 'type must be one of ' + Object.keys(KEY_PATH_FIELDS).join(', ');
  const keyPath: Record<string, string> = {};
  for (const { name } of fields) {
    const v = (f[`keyPath.${type}.${name}`] ?? '').trim();
    if (v !== '') keyPath[name] = v;
  }
  const credentials = jsonObject(f['credentials'] ?? '', 'credentials');
  if (typeof credentials === 'string') return credentials;
  const endpoint = (f['endpoint'] ?? '').trim();
  return {
    type,
    keyPath,
    credentials,
    ...(endpoint !== '' ? { endpoint } : {}),
    active: f['active'] === 'true',
    primary: f['primary'] === 'true',
    leasingAllowed: f['leasingAllowed'] === 'true',
  };
}

/** The API body of the logging form: the typed config with each sink's credentials (second textarea) put in. */
export function loggingConfigBody(f: FormFields): Record<string, unknown> | string {
  const config = jsonObject(f['loggingJson'] ?? '', 'the logging configuration');
  if (typeof config === 'string') return config;
  const creds = (f['credentials'] ?? '').trim() === '' ? {} : jsonObject(f['credentials'] ?? '', 'sink credentials');
  if (typeof creds === 'string') return creds;
  const sinks = Array.isArray(config['sinks']) ? (config['sinks'] as unknown[]) : undefined;
  const ids = new Set((sinks ?? []).map((s) => (typeof s === 'object' && s !== null ? (s as Record<string, unknown>)['id'] : undefined)));
  for (const [id, c] of Object.entries(creds)) {
    if (!ids.has(id)) return `sink credentials name sink '${id}', which is not in the logging configuration`;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) return `sink credentials of '${id}' must be a JSON object`;
  }
  if (sinks === undefined || Object.keys(creds).length === 0) return config;
  return {
    ...config,
    sinks: sinks.map((s) => {
      const id = typeof s === 'object' && s !== null ? (s as Record<string, unknown>)['id'] : undefined;
      return typeof id === 'string' && creds[id] !== undefined ? { ...(s as Record<string, unknown>), credentials: creds[id] } : s;
    }),
  };
}

/** Parses a textarea that must hold a JSON object; the message names the field, never the text. */
function jsonObject(text: string, field: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return `${field} is not valid JSON`;
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : `${field} must be a JSON object`;
}
