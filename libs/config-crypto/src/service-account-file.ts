/**
 * The service-account env file: KEY=VALUE lines, `#` comments, optional quotes. It is parsed
 * here and read (from disk) only in an app's main.ts.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`line ${i + 1}: expected KEY=VALUE`);
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) throw new Error(`line ${i + 1}: invalid variable name`);
    if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))) {
      value = value.slice(1, -1);
    }
    out[key] = value;
  });
  return out;
}

export function formatEnvFile(entries: Record<string, string>, header: string): string {
  const lines = header.split('\n').map((l) => `# ${l}`);
  for (const [k, v] of Object.entries(entries)) lines.push(`${k}=${v}`);
  return lines.join('\n') + '\n';
}
