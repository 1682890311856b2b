// examples/kubernetes/ against the official Kubernetes schemas, plus what the schemas cannot say: the hardened
// securityContext, one replica with Recreate for the file store, and a volume for every path a job uses.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/manifest/parse.js';
import { checkKubernetesObject, checkKubernetesYaml } from '../support/kubernetes-schema.js';

const DIR = 'examples/kubernetes';

interface Objects {
  [kindAndName: string]: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function readObjects(): Objects {
  const objects: Objects = {};
  for (const file of readdirSync(DIR).filter((name) => name.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(DIR, file), 'utf8'))) {
      const value = doc.toJS() as { kind: string; metadata: { name: string } };
      objects[`${value.kind}/${value.metadata.name}`] = value;
    }
  }
  return objects;
}

/** Absolute paths a shell line names (arguments starting with `/`). */
function findPaths(shell: string): string[] {
  return [...shell.matchAll(/(?:^|[\s=])(\/[\w.@/-]+)/g)].map((match) => match[1] ?? '');
}

describe('examples/kubernetes', () => {
  it.each(readdirSync(DIR).filter((name) => name.endsWith('.yaml')))(
    '%s is valid against the Kubernetes API schemas',
    (file) => {
      const checks = checkKubernetesYaml(readFileSync(join(DIR, file), 'utf8'));
      expect(checks.length).toBeGreaterThan(0);
      for (const check of checks) expect(check.problems, `${check.kind}/${check.name}`).toEqual([]);
    },
  );

  it('the schema check does catch a broken object', () => {
    const deployment = readObjects()['Deployment/cronops']!;
    const broken = structuredClone(deployment);
    broken.spec.replicas = 'one';
    delete broken.spec.template.spec.containers[0].name;
    expect(checkKubernetesObject(broken).problems).toEqual([
      '/spec/replicas: must be integer',
      '/spec/template/spec/containers/0: must have required property name',
    ]);
    expect(checkKubernetesObject({ ...deployment, apiVersion: 'apps/v9' }).problems).toEqual([
      'unknown apiVersion/kind apps/v9/Deployment',
    ]);
  });

  it('runs one replica with strategy Recreate on a ReadWriteOnce state volume (the file store)', () => {
    const objects = readObjects();
    const deployment = objects['Deployment/cronops']!;
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const state = deployment.spec.template.spec.volumes.find(
      (volume: { name: string }) => volume.name === 'state',
    );
    const claim = objects[`PersistentVolumeClaim/${state.persistentVolumeClaim.claimName}`]!;
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
  });

  it('sets a hardened securityContext', () => {
    const pod = readObjects()['Deployment/cronops']!.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    for (const container of pod.containers)
      expect(container.securityContext).toEqual({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
  });

  it('mounts every path its schedules use, and every mount has a volume', () => {
    const objects = readObjects();
    const pod = objects['Deployment/cronops']!.spec.template.spec;
    const container = pod.containers[0];
    const mounts: string[] = container.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    const volumes = new Set(pod.volumes.map((v: { name: string }) => v.name));
    for (const mount of container.volumeMounts)
      expect(volumes.has(mount.name), mount.name).toBe(true);
    // The directories the daemon itself uses.
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    const used = [env.CRONOPS_DIR, env.CRONOPS_STATE_DIR, '/tmp'];
    // And every absolute path in the schedules the ConfigMap delivers.
    const data = objects['ConfigMap/cronops-schedules']!.data as Record<string, string>;
    for (const [key, text] of Object.entries(data)) {
      const parsed = parseManifestText(key, text);
      expect(parsed.issues).toEqual([]);
      for (const doc of parsed.documents) {
        if (doc.kind !== 'Schedule') continue;
        const task = doc.spec.task;
        if (task.kind === 'shell') used.push(...findPaths(task.shell));
        if (task.kind === 'command') used.push(...task.command.filter((a) => a.startsWith('/')));
        if (task.workingDir !== undefined) used.push(task.workingDir);
      }
    }
    expect(used).toContain('/exports');
    for (const path of used)
      expect(
        mounts.some((mount) => path === mount || path.startsWith(`${mount}/`)),
        `${path} is not under any volumeMount (${mounts.join(', ')})`,
      ).toBe(true);
  });
});
