import type { SinkEvent } from '@tsp/sinks-core';

/** What every log entry of one sink carries besides its message. */
export interface LogAttributes {
  ddsource: string;
  service: string;
  ddtags: string | undefined;
  hostname: string | undefined;
}

/**
 * The JSON array posted to /api/v2/logs: per event one log object
 * {ddsource, ddtags?, hostname?, service, message} whose message is the delivered JSON line (a
 * string; Datadog parses JSON messages into attributes). Built as text, without re-serializing
 * the events.
 */
export function intakeBody(batch: readonly SinkEvent[], attrs: LogAttributes): string {
  let prefix = `{"ddsource":${JSON.stringify(attrs.ddsource)}`;
  if (attrs.ddtags !== undefined) prefix += `,"ddtags":${JSON.stringify(attrs.ddtags)}`;
  if (attrs.hostname !== undefined) prefix += `,"hostname":${JSON.stringify(attrs.hostname)}`;
  prefix += `,"service":${JSON.stringify(attrs.service)},"message":`;
  const parts: string[] = [];
  for (const e of batch) parts.push(`${prefix}${JSON.stringify(e.json)}}`);
  return `[${parts.join(',')}]`;
}
