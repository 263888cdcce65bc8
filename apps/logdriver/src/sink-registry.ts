import { azureMonitorSinkPlugin } from '@tsp/sink-azure-monitor';
import { cloudWatchLogsSinkPlugin } from '@tsp/sink-cloudwatch-logs';
import { datadogSinkPlugin } from '@tsp/sink-datadog';
import { elasticsearchSinkPlugin } from '@tsp/sink-elasticsearch';
import { fileSinkPlugin } from '@tsp/sink-file';
import { googleCloudLoggingSinkPlugin } from '@tsp/sink-google-cloud-logging';
import { splunkHecSinkPlugin } from '@tsp/sink-splunk-hec';
import { stdoutSinkPlugin } from '@tsp/sink-stdout';
import { sumoLogicSinkPlugin } from '@tsp/sink-sumo-logic';
import { syslogSinkPlugin } from '@tsp/sink-syslog';
import { webhookSinkPlugin } from '@tsp/sink-webhook';
import type { SinkPlugin } from '@tsp/sinks-core';

/** Every sink type a tenant's logging config may name (docs/logging-sinks.md). */
export const SINK_PLUGINS: readonly SinkPlugin[] = [
  stdoutSinkPlugin,
  fileSinkPlugin,
  webhookSinkPlugin,
  cloudWatchLogsSinkPlugin,
  azureMonitorSinkPlugin,
  googleCloudLoggingSinkPlugin,
  splunkHecSinkPlugin,
  sumoLogicSinkPlugin,
  elasticsearchSinkPlugin,
  datadogSinkPlugin,
  syslogSinkPlugin,
];
