// A fresh database per test on the run's private cluster (see global-setup.ts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import type { TestCluster } from './cluster.js';

export interface TestDatabase {
  name: string;
  /** postgres://postgres@127.0.0.1:PORT/NAME */
  url: string;
  cluster: TestCluster;
  /** Drop it (ending any connection still open to it). */
  drop(): Promise<void>;
}

/** Run one statement on the cluster's maintenance database. */
export async function queryCluster(sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: inject('pg').url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** CREATE DATABASE from the empty template (milliseconds, not an initdb). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const cluster = inject('pg');
  const name = `t_${process.pid}_${randomBytes(5).toString('hex')}`;
  await queryCluster(`create database ${name} template ${cluster.template} strategy file_copy`);
  return {
    name,
    url: `postgres://postgres@127.0.0.1:${cluster.port}/${name}`,
    cluster,
    drop: async () => {
      await queryCluster(`drop database if exists ${name} with (force)`);
    },
  };
}
