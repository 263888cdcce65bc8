import { fileSinkPlugin } from '@tsp/sink-file';
import { stdoutSinkPlugin } from '@tsp/sink-stdout';
import type { SinkPlugin } from '@tsp/sinks-core';

/** Every sink type a tenant's logging config may name (docs/logging-sinks.md). */
export const SINK_PLUGINS: readonly SinkPlugin[] = [stdoutSinkPlugin, fileSinkPlugin];
