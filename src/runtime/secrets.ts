// Resolve a task's env: plain values pass through, fromEnv/fromFile values become secrets.

/** One env value as written in a manifest: a literal, or a reference to a secret. */
export type EnvValue = string | { fromEnv: string } | { fromFile: string };

/** Where secrets are read from; the daemon passes process.env and fs.readFileSync, tests pass fakes. */
export interface SecretSource {
  env: NodeJS.ProcessEnv;
  /** Read a file as UTF-8 text; throws when it cannot. */
  readFile: (path: string) => string;
}

/** The resolved env of one attempt. */
export interface ResolvedEnv {
  /** Every variable that resolved, secrets included. */
  values: Record<string, string>;
  /** The values that came from fromEnv/fromFile (non-empty, deduplicated): redact these everywhere. */
  secrets: string[];
  /** One message per variable that did not resolve; names the variable and its source, never a value. */
  errors: string[];
}

/**
 * Resolve env values. A secret file's trailing line breaks are removed (what `$(cat file)` does,
 * and what the `*_FILE` convention of container images expects): `echo s3cret > pg` yields
 * `s3cret`. Other whitespace is kept. An environment variable that is set but empty resolves to
 * the empty string.
 */
export function resolveEnv(env: Record<string, EnvValue>, source: SecretSource): ResolvedEnv {
  const values: Record<string, string> = {};
  const secrets = new Set<string>();
  const errors: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string') {
      values[name] = value;
    } else if (isObject(value) && 'fromEnv' in value && typeof value.fromEnv === 'string') {
      const resolved = source.env[value.fromEnv];
      if (resolved === undefined) {
        errors.push(
          `env ${name}: environment variable "${value.fromEnv}" (fromEnv) is not set in the daemon's environment`,
        );
        continue;
      }
      values[name] = resolved;
      if (resolved !== '') secrets.add(resolved);
    } else if (isObject(value) && 'fromFile' in value && typeof value.fromFile === 'string') {
      let content: string;
      try {
        content = source.readFile(value.fromFile);
      } catch (error) {
        errors.push(
          `env ${name}: cannot read secret file "${value.fromFile}" (fromFile): ${describeReadError(error)}`,
        );
        continue;
      }
      const resolved = content.replace(/(?:\r?\n)+$/, '');
      values[name] = resolved;
      if (resolved !== '') secrets.add(resolved);
    } else {
      errors.push(`env ${name}: expected a string, { fromEnv: NAME } or { fromFile: PATH }`);
    }
  }
  return { values, secrets: [...secrets], errors };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The error's code in words, never its message (which a custom reader could fill with content). */
function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case undefined:
      return 'read failed';
    default:
      return code;
  }
}
