import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TenantConfig } from '@tsp/config-crypto';
import { DevEnvironment, sealDocument } from '@tsp/dev-environment';
import { ProcessRegistry } from './child-processes';
import { CloudFake, CloudProvider, startCloudFakes, stopCloudFakes } from '@tsp/test-support';
import type { LoadGenerator } from './load-generator';
import type { BenchOptions } from './options';
import { CloudSample, cloudScenarioId } from './cloud-report';
import { CpuMeter } from './process-cpu';
import { startProxy } from './proxy-launcher';
import { RawResult, runScenario } from './run-scenario';
import { checkWrap, requestBody, Scenario, WRAP_PATH } from './scenarios';

/** Connections of the light-load unleased run: far below the proxy's ceiling, so no queueing. */
export const LIGHT_CONNECTIONS = 4;

/**
 * The proxy's deadline for one KMS call. At 200 connections a CPU-saturated Node server answers
 * some connections seconds late (the bare node:http baseline too: p99 ~0.9 s at c200), and the
 * wait counts against the deadline: 5 s was hit by about 1 request in 10,000.
 */
const KMS_TIMEOUT_MS = 10_000;

export interface CloudRunOutput {
  raw: RawResult[];
  samples: Map<string, CloudSample>;
  /** Lines from the proxy's stderr worth knowing (e.g. the AWS SDK's socket-capacity warning). */
  proxyWarnings: string[];
}

export function cloudTenantId(provider: CloudProvider, leased: boolean): string {
  return `bench-cloud-${provider}-${leased ? 'leased' : 'unleased'}`;
}

function wrapScenario(provider: CloudProvider, kind: CloudSample['kind'], label: string): Scenario {
  const tenantId = cloudTenantId(provider, kind === 'leased');
  return { id: cloudScenarioId(provider, kind), label, target: 'proxy-cloud', path: WRAP_PATH, tenantId, body: requestBody(tenantId), docsPerRequest: 1, check: checkWrap };
}

/** The demo tenants plus one unleased and one leased tenant per fake, sealed into a document of its own. */
function writeCloudDocument(env: DevEnvironment, fakes: readonly CloudFake[], work: string): string {
  const plain = JSON.parse(readFileSync(env.tenantsFile, 'utf8')) as { sequence: number; tenants: TenantConfig[] };
  const tenants = [...plain.tenants];
  fakes.forEach((f, i) => {
    for (const leased of [false, true]) {
      const id = 9000 + 10 * i + (leased ? 1 : 0);
      tenants.push({ tenantId: cloudTenantId(f.name, leased), kmsConfigs: [f.kmsConfig(id, leased)], secrets: [] });
    }
  });
  const documentFile = path.join(work, 'config-document-cloud.json');
  sealDocument({ ...env, documentFile, tenantsFile: path.join(work, 'tenants-cloud.plain.json') }, tenants, plain.sequence + 1);
  return documentFile;
}

/**
 * Moves this process (every thread: the fakes run here) onto `cpu`, next to the load generator,
 * so that the fakes do not take CPU from the proxy they serve. Returns the undo.
 */
function pinSelf(cpu: number, note: (s: string) => void): () => void {
  const pid = String(process.pid);
  const mask = /mask:\s*([0-9a-fA-F,]+)/.exec(spawnSync('taskset', ['-p', pid], { encoding: 'utf8' }).stdout ?? '')?.[1];
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), pid], { encoding: 'utf8' });
  if (mask === undefined || r.status !== 0) {
    note(`cloud: could not pin the bench process to CPU ${cpu}; the fakes run unpinned`);
    return () => undefined;
  }
  return () => void spawnSync('taskset', ['-a', '-p', mask, pid], { encoding: 'utf8' });
}

export interface CloudRunContext {
  reg: ProcessRegistry;
  gen: LoadGenerator;
  opts: BenchOptions;
  env: DevEnvironment;
  work: string;
  headers: Readonly<Record<string, string>>;
  /** Where the proxy runs (and, when set, the fakes go to the other CPU, `loadCpu`). */
  serverCpu: number | undefined;
  loadCpu: number | undefined;
  note: (s: string) => void;
}

/**
 * The cloud KMS scenarios: the three fakes in this process, one proxy with a document that adds
 * an unleased and a leased tenant per fake, then per provider: leased wrap (usual connections),
 * unleased wrap at `cloudConnections` with the injected latency, the same at LIGHT_CONNECTIONS
 * (the added latency without queueing), and at `cloudConnections` with 0 ms (the proxy's
 * CPU-bound ceiling).
 */
export async function runCloudScenarios(ctx: CloudRunContext): Promise<CloudRunOutput> {
  const { opts, note } = ctx;
  const latency = opts.cloudLatencyMs;
  note('cloud: starting the AWS, GCP and Azure fakes on 127.0.0.1');
  const fakes = await startCloudFakes();
  const unpin = ctx.loadCpu === undefined ? () => undefined : pinSelf(ctx.loadCpu, note);
  const out: CloudRunOutput = { raw: [], samples: new Map(), proxyWarnings: [] };
  try {
    const documentFile = writeCloudDocument(ctx.env, fakes, ctx.work);
    const caFile = path.join(ctx.work, 'cloud-fakes-ca.pem');
    writeFileSync(caFile, fakes.map((f) => f.caCert ?? '').join('\n'));
    note(`cloud: starting the proxy (TSP_EVENT_OUTPUT=none, TSP_KMS_TIMEOUT_MS=${KMS_TIMEOUT_MS}, ${latency} ms injected per KMS request)`);
    const p = await startProxy(ctx.reg, {
      name: 'proxy (cloud fakes)',
      serviceAccountFile: ctx.env.serviceAccountFile,
      env: {
        TSP_EVENT_OUTPUT: 'none',
        TSP_KMS_TIMEOUT_MS: String(KMS_TIMEOUT_MS),
        TSP_CONFIG_URL: pathToFileURL(documentFile).href,
        NODE_EXTRA_CA_CERTS: caFile,
        METADATA_SERVER_DETECTION: 'none',
      },
      readyTimeoutMs: 30_000,
      ...(ctx.serverCpu === undefined ? {} : { cpu: ctx.serverCpu }),
    });
    try {
      for (const f of fakes) {
        const runs: Array<{ kind: CloudSample['kind']; ms: number; connections: number; label: string }> = [
          { kind: 'leased', ms: latency, connections: opts.connections, label: `(g) ${f.name} leased wrap, ${latency} ms KMS` },
          { kind: 'unleased', ms: latency, connections: opts.cloudConnections, label: `(h) ${f.name} unleased wrap, ${latency} ms KMS, c${opts.cloudConnections}` },
          { kind: 'light', ms: latency, connections: LIGHT_CONNECTIONS, label: `(h') ${f.name} unleased wrap, ${latency} ms KMS, c${LIGHT_CONNECTIONS}` },
          { kind: 'ceiling', ms: 0, connections: opts.cloudConnections, label: `(i) ${f.name} unleased wrap, 0 ms KMS, c${opts.cloudConnections}` },
        ];
        for (const run of runs) {
          f.setLatency(run.ms);
          const meter = new CpuMeter(p.proc.pid);
          let kms0 = 0;
          const hooks = {
            begin: () => {
              kms0 = f.kmsRequests();
              meter.begin();
            },
            end: () => meter.end(),
          };
          const s = wrapScenario(f.name, run.kind, run.label);
          const r = await runScenario(ctx.gen, opts, s, p.url, p.proc, ctx.headers, note, { connections: run.connections, hooks });
          out.raw.push(r);
          out.samples.set(s.id, {
            provider: f.name,
            kind: run.kind,
            injectedLatencyMs: run.ms,
            wallMs: meter.wallMs,
            proxyCpuMs: meter.childMs,
            fakesCpuMs: meter.ownMs,
            kmsCalls: f.kmsRequests() - kms0,
          });
        }
        f.setLatency(latency);
      }
      const warnings = p.proc.stderrTail().split('\n').filter((l) => /WARN|warn/.test(l));
      out.proxyWarnings.push(...new Set(warnings.map((l) => l.trim().slice(0, 300))));
    } finally {
      await ctx.reg.stop(p.proc);
    }
  } finally {
    unpin();
    await stopCloudFakes(fakes);
  }
  return out;
}
