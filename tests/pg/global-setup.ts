// vitest globalSetup: one private PostgreSQL cluster per test run, given to the tests through inject('pg').
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { createCluster, removeCluster, type TestCluster } from './cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pg: TestCluster;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await createCluster();
  try {
    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    try {
      await client.query(`create database ${cluster.template}`);
    } finally {
      await client.end();
    }
  } catch (error) {
    await removeCluster(cluster);
    throw error;
  }
  project.provide('pg', cluster);
  return async () => {
    await removeCluster(cluster);
  };
}
