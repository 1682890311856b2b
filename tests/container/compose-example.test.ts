// examples/compose/compose.yaml: what its comments say matches what it mounts, and every host path exists.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const FILE = 'examples/compose/compose.yaml';
const TEXT = readFileSync(FILE, 'utf8');

interface Compose {
  services: Record<
    string,
    { build: string; environment: Record<string, string>; volumes: string[]; ports: string[] }
  >;
  volumes: Record<string, unknown>;
}

/** The comment lines right above the line holding `text`. */
function readCommentAbove(text: string): string {
  const lines = TEXT.split('\n');
  const index = lines.findIndex((line) => line.includes(text));
  const comments: string[] = [];
  for (let i = index - 1; i >= 0 && /^\s*#/.test(lines[i] ?? ''); i -= 1)
    comments.unshift((lines[i] ?? '').trim());
  return comments.join(' ');
}

describe('examples/compose', () => {
  const compose = parse(TEXT) as Compose;
  const service = compose.services.cronops!;

  it('builds from the repository root, whose Dockerfile exists', () => {
    expect(existsSync(join(resolve(dirname(FILE), service.build), 'Dockerfile'))).toBe(true);
  });

  it('mounts what its comments say, at the directories the daemon is told to use', () => {
    const [schedules, state] = service.volumes;
    expect(schedules).toBe('../../schedules.d:/etc/cronops/schedules.d:ro');
    expect(existsSync(resolve(dirname(FILE), '../../schedules.d'))).toBe(true);
    expect(readCommentAbove(schedules!)).toMatch(/schedules\.d\/, read-only/);
    expect(service.environment.CRONOPS_DIR).toBe('/etc/cronops/schedules.d');
    expect(state).toBe('cronops-state:/var/lib/cronops');
    expect(Object.keys(compose.volumes)).toEqual(['cronops-state']);
    expect(readCommentAbove(state!)).toMatch(/named volume/);
    expect(service.environment.CRONOPS_STATE_DIR).toBe('/var/lib/cronops');
    expect(service.ports).toEqual(['127.0.0.1:8787:8787']);
    expect(readCommentAbove('127.0.0.1:8787:8787')).toMatch(/loopback only/);
    expect(TEXT.split('\n')[1]).toMatch(/schedules\.d\/ mounted read-only/);
  });
});
