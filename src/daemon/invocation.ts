// Turning a schedule and a run into what runTask executes: templates rendered, secrets resolved.
import { readFileSync } from 'node:fs';
import type { JobSpec } from '../manifest/schema.js';
import {
  buildTemplateContext,
  renderTemplate,
  type TemplateContext,
} from '../manifest/templates.js';
import { renderShellTemplate } from '../manifest/shell-templates.js';
import type { TaskInvocation } from '../runtime/run-job.js';
import { resolveEnv, type EnvValue } from '../runtime/secrets.js';

/** Where secrets come from: the daemon's environment and files. */
export interface SecretSource {
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
}

/** The process's own environment and files. */
export const processSecrets: SecretSource = {
  env: process.env,
  readFile: (path) => readFileSync(path, 'utf8'),
};

/** The run an invocation is built for. */
export interface InvocationRun {
  schedule: string;
  runId: string;
  attempt: number;
  trigger: string;
  scheduledAt: Date;
  /** Trigger `after`: the run whose end started this one, its chain, and the chain's logical time. */
  upstream?: { schedule: string; runId: string; status: string };
  chainId?: string;
  logicalTime?: Date;
}

export type InvocationResult =
  { ok: true; invocation: TaskInvocation } | { ok: false; error: string; secrets: string[] };

export function templateContextFor(spec: JobSpec, run: InvocationRun): TemplateContext {
  return buildTemplateContext({
    name: run.schedule,
    runId: run.runId,
    attempt: run.attempt,
    trigger: run.trigger,
    scheduledTime: run.scheduledAt,
    timeZone: spec.timezone,
    params: spec.params,
    ...(run.logicalTime !== undefined && { logicalTime: run.logicalTime }),
    ...(run.upstream !== undefined && { upstream: run.upstream }),
  });
}

/** The chain fields of a run record started by `after`, as an invocation takes them. */
export function describeChain(record: {
  upstream?: { schedule: string; runId: string; status: string };
  chainId?: string;
  logicalTime?: string;
}): Pick<InvocationRun, 'upstream' | 'chainId' | 'logicalTime'> {
  return {
    ...(record.upstream !== undefined && { upstream: record.upstream }),
    ...(record.chainId !== undefined && { chainId: record.chainId }),
    ...(record.logicalTime !== undefined && { logicalTime: new Date(record.logicalTime) }),
  };
}

/** The environment a run started by `after` gets besides the usual CRONOPS_* variables. */
function describeChainEnv(run: InvocationRun): Record<string, string> {
  if (run.upstream === undefined) return {};
  return {
    CRONOPS_UPSTREAM_SCHEDULE: run.upstream.schedule,
    CRONOPS_UPSTREAM_RUN_ID: run.upstream.runId,
    CRONOPS_UPSTREAM_STATUS: run.upstream.status,
    CRONOPS_CHAIN_ID: run.chainId ?? run.upstream.runId,
    CRONOPS_LOGICAL_TIME: (run.logicalTime ?? run.scheduledAt).toISOString(),
  };
}

/**
 * Render every template of the task and resolve its secrets. A `shell:` string gets variable references
 * (`CRONOPS_T_n`, set in the env) instead of values; argv items, env and HTTP fields get the values' text. Plain env values are templates; values from
 * `fromEnv`/`fromFile` are secrets: used as they are and listed so they can be redacted from the output.
 */
export function buildInvocation(
  spec: JobSpec,
  run: InvocationRun,
  source: SecretSource,
): InvocationResult {
  const context = templateContextFor(spec, run);
  const render = (text: string): string => renderTemplate(text, context);
  const envResult = resolveRendered(spec.task.env, render, source);
  const errors = [...envResult.errors];
  const secrets = [...envResult.secrets];
  const env: Record<string, string> = {
    ...envResult.values,
    CRONOPS_SCHEDULE: run.schedule,
    CRONOPS_RUN_ID: run.runId,
    CRONOPS_SCHEDULED_TIME: run.scheduledAt.toISOString(),
    CRONOPS_ATTEMPT: String(run.attempt),
    CRONOPS_TRIGGER: run.trigger,
    ...describeChainEnv(run),
  };
  const task = spec.task;
  let invocationTask: TaskInvocation['task'];
  if (task.kind === 'command') {
    invocationTask = { kind: 'command', command: task.command.map(render) };
  } else if (task.kind === 'shell') {
    // Values reach the shell as variables, never as script text (docs/manifest.md, "Templates in shell").
    const shell = renderShellTemplate(task.shell, context);
    invocationTask = { kind: 'shell', shell: shell.script };
    Object.assign(env, shell.env);
  } else {
    const headers = resolveRendered(task.headers, render, source);
    errors.push(...headers.errors);
    secrets.push(...headers.secrets);
    invocationTask = {
      kind: 'http',
      url: render(task.url),
      method: task.method,
      headers: headers.values,
      expectStatus: task.expectStatus,
      ...(task.body === undefined ? {} : { body: render(task.body) }),
    };
  }
  if (errors.length > 0) return { ok: false, error: errors.join('; '), secrets };
  return {
    ok: true,
    invocation: {
      task: invocationTask,
      env,
      ...(task.workingDir === undefined ? {} : { workingDir: render(task.workingDir) }),
      timeoutMs: spec.timeout,
      killGraceMs: spec.killGracePeriod,
      maxOutputBytes: spec.output.maxBytes,
      secrets,
    },
  };
}

/** Resolve a map of env-like values: strings are rendered as templates, secret references resolved. */
export function resolveRendered(
  values: Record<string, EnvValue>,
  render: (text: string) => string,
  source: SecretSource,
): { values: Record<string, string>; secrets: string[]; errors: string[] } {
  const rendered: Record<string, EnvValue> = {};
  for (const [key, value] of Object.entries(values)) {
    rendered[key] = typeof value === 'string' ? render(value) : value;
  }
  return resolveEnv(rendered, source);
}
