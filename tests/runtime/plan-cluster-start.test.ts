import { describe, expect, it } from 'vitest';
import {
  planClusterStart,
  type ClusterStartPlan,
  type SlotView,
} from '../../src/runtime/plan-cluster-start.js';

const free: SlotView = { holder: null, next: null };
const heldByB: SlotView = { holder: { runId: 'R1', replica: 'b' }, next: null };
const mine: SlotView = { holder: { runId: 'R2', replica: 'a' }, next: null };
const queued: SlotView = { ...heldByB, next: { runId: 'R0', replica: 'c' } };
const queuedMe: SlotView = { ...heldByB, next: { runId: 'R2', replica: 'a' } };

type Policy = 'Forbid' | 'Queue' | 'Replace' | 'Allow';

describe('runtime/plan-cluster-start', () => {
  it.each<{
    why: string;
    policy: Policy;
    slot: SlotView;
    atInstant: boolean;
    plan: ClusterStartPlan;
  }>([
    {
      why: 'Forbid, slot taken by the claim',
      policy: 'Forbid',
      slot: mine,
      atInstant: false,
      plan: { action: 'start' },
    },
    {
      why: 'Forbid, slot free',
      policy: 'Forbid',
      slot: free,
      atInstant: true,
      plan: { action: 'start' },
    },
    {
      why: 'Forbid, held before the instant: look again then',
      policy: 'Forbid',
      slot: heldByB,
      atInstant: false,
      plan: { action: 'recheck' },
    },
    {
      why: 'Forbid, held at the instant: skipped, naming the run and its replica',
      policy: 'Forbid',
      slot: heldByB,
      atInstant: true,
      plan: {
        action: 'skip',
        reason: 'previous run R1 on replica b is still running (concurrencyPolicy Forbid)',
      },
    },
    {
      why: 'Allow ignores the slot',
      policy: 'Allow',
      slot: heldByB,
      atInstant: true,
      plan: { action: 'start' },
    },
    {
      why: 'Queue, held: queued behind the holder',
      policy: 'Queue',
      slot: heldByB,
      atInstant: true,
      plan: { action: 'queue', reason: 'queued behind run R1 on replica b' },
    },
    {
      why: 'Queue, this fire is already the next one',
      policy: 'Queue',
      slot: queuedMe,
      atInstant: true,
      plan: { action: 'queue', reason: 'queued behind run R1 on replica b' },
    },
    {
      why: 'Queue, another fire is queued: skipped (one queue, cluster-wide)',
      policy: 'Queue',
      slot: queued,
      atInstant: true,
      plan: {
        action: 'skip',
        reason: 'run R0 is already queued behind run R1 on replica b (concurrencyPolicy Queue)',
      },
    },
    {
      why: 'Queue, held before the instant',
      policy: 'Queue',
      slot: heldByB,
      atInstant: false,
      plan: { action: 'recheck' },
    },
    {
      why: 'Replace, held at the instant: the holder is stopped',
      policy: 'Replace',
      slot: queued,
      atInstant: true,
      plan: {
        action: 'replace',
        victim: { runId: 'R1', replica: 'b' },
        reason: 'replaced by run R2 (concurrencyPolicy Replace)',
      },
    },
    {
      why: 'Replace, held before the instant: nothing is stopped early',
      policy: 'Replace',
      slot: heldByB,
      atInstant: false,
      plan: { action: 'recheck' },
    },
    {
      why: 'Replace, slot taken',
      policy: 'Replace',
      slot: mine,
      atInstant: true,
      plan: { action: 'start' },
    },
  ])('$why', ({ policy, slot, atInstant, plan }) => {
    expect(
      planClusterStart({ policy: { concurrencyPolicy: policy }, runId: 'R2', slot, atInstant }),
    ).toEqual(plan);
  });
});
