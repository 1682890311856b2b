import { describe, expect, it } from 'vitest';
import { applyPlan, type JobTarget } from '../../src/reconcile/apply.js';
import type { DesiredSchedule } from '../../src/reconcile/desired.js';
import type { ReconcilePlan } from '../../src/reconcile/plan.js';

const schedule = (name: string) => ({ name, hash: 'h' }) as unknown as DesiredSchedule;

class FakeTarget implements JobTarget {
  calls: string[] = [];
  create(s: DesiredSchedule) {
    if (s.name === 'broken') throw new Error('boom');
    this.calls.push(`create ${s.name}`);
  }
  update(s: DesiredSchedule) {
    this.calls.push(`update ${s.name}`);
  }
  remove(name: string) {
    this.calls.push(`remove ${name}`);
  }
}

describe('reconcile/apply', () => {
  it('removes, then updates, then creates, and keeps going after a failure', () => {
    const plan: ReconcilePlan = {
      create: [schedule('broken'), schedule('new')],
      update: [{ from: { name: 'edit', hash: 'a' }, to: schedule('edit') }],
      remove: [{ name: 'old', hash: 'a' }],
      unchanged: ['same'],
    };
    const target = new FakeTarget();
    const result = applyPlan(plan, target);
    expect(target.calls).toEqual(['remove old', 'update edit', 'create new']);
    expect(result.applied).toEqual(['remove old', 'update edit', 'create new']);
    expect(result.failed.map((f) => f.operation)).toEqual(['create broken']);
  });
});
