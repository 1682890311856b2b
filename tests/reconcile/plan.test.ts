import { describe, expect, it } from 'vitest';
import type { ActualJob, DesiredSchedule } from '../../src/reconcile/desired.js';
import { isEmptyPlan, planReconcile, selectChangedSchedules } from '../../src/reconcile/plan.js';

const want = (name: string, hash: string, file = 'a.yaml'): DesiredSchedule =>
  ({ name, hash, file, degraded: false }) as unknown as DesiredSchedule;
const have = (name: string, hash: string): ActualJob => ({ name, hash });
const desired = (...s: DesiredSchedule[]) => new Map(s.map((x) => [x.name, x]));
const actual = (...s: ActualJob[]) => new Map(s.map((x) => [x.name, x]));

describe('reconcile/plan', () => {
  it.each([
    {
      title: 'cold start creates everything',
      desired: desired(want('b', '1'), want('a', '2')),
      actual: actual(),
      plan: { create: ['a', 'b'], update: [], remove: [], unchanged: [] },
    },
    {
      title: 'nothing wanted removes everything',
      desired: desired(),
      actual: actual(have('x', '1'), have('a', '1')),
      plan: { create: [], update: [], remove: ['a', 'x'], unchanged: [] },
    },
    {
      title: 'a changed fingerprint is an update, an equal one is left alone',
      desired: desired(want('a', '1'), want('b', '3')),
      actual: actual(have('a', '1'), have('b', '2')),
      plan: { create: [], update: ['b: 2 -> 3'], remove: [], unchanged: ['a'] },
    },
    {
      title: 'a schedule moved to another file is not a change',
      desired: desired(want('a', '1', 'new.yaml')),
      actual: actual(have('a', '1')),
      plan: { create: [], update: [], remove: [], unchanged: ['a'] },
    },
    {
      title: 'mixed',
      desired: desired(want('keep', '1'), want('new', '1'), want('edit', '2')),
      actual: actual(have('keep', '1'), have('gone', '1'), have('edit', '1')),
      plan: { create: ['new'], update: ['edit: 1 -> 2'], remove: ['gone'], unchanged: ['keep'] },
    },
  ])('$title', ({ desired: d, actual: a, plan: expected }) => {
    const plan = planReconcile(d, a);
    expect({
      create: plan.create.map((s) => s.name),
      update: plan.update.map((u) => `${u.to.name}: ${u.from.hash} -> ${u.to.hash}`),
      remove: plan.remove.map((j) => j.name),
      unchanged: plan.unchanged,
    }).toEqual(expected);
  });

  it('says when a plan changes nothing', () => {
    expect(isEmptyPlan(planReconcile(desired(want('a', '1')), actual(have('a', '1'))))).toBe(true);
    expect(isEmptyPlan(planReconcile(desired(want('a', '1')), actual()))).toBe(false);
  });

  it('plans only over what is not the very object already running, with the same result', () => {
    const keep = want('keep', '1');
    const moved = want('moved', '1', 'other.yaml');
    const running = desired(keep, want('moved', '1'), want('edit', '1'), want('gone', '1'));
    const wanted = desired(keep, moved, want('edit', '2'), want('new', '1'));
    const { desired: d, actual: a, same } = selectChangedSchedules(wanted, running);
    expect([...d.keys()].sort()).toEqual(['edit', 'moved', 'new']);
    expect([...a.keys()].sort()).toEqual(['edit', 'gone', 'moved']);
    expect(same).toBe(1);
    const part = planReconcile(d, a);
    const whole = planReconcile(wanted, running);
    expect(part).toEqual({
      ...whole,
      unchanged: whole.unchanged.filter((name) => name !== 'keep'),
    });
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'selectChangedSchedules told the changed names gives what looking at every name gives (generated, seed %i)',
    (seed) => {
      let state = seed;
      const pick = (n: number): number => {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        return (state >>> 8) % n;
      };
      // Running: the desired state of the last pass, applied in full.
      const running = new Map<string, DesiredSchedule>();
      for (let index = 0; index < 40; index += 1)
        running.set(`s${index}`, want(`s${index}`, String(pick(3))));
      const wanted = new Map(running);
      const names = new Set<string>();
      for (let edit = 0; edit < 1 + pick(8); edit += 1) {
        const name = `s${pick(50)}`;
        names.add(name);
        const roll = pick(4);
        if (roll === 0) wanted.delete(name);
        // A new object, with the same fingerprint or another one.
        else if (roll === 1) wanted.set(name, want(name, String(pick(3))));
        else if (roll === 2 && wanted.has(name))
          wanted.set(name, wanted.get(name) as DesiredSchedule);
        else wanted.set(name, want(name, '9', 'moved.yaml'));
      }
      // Named but left as it was: looked at, and found the same.
      names.add('s0');
      expect(selectChangedSchedules(wanted, running, names)).toEqual(
        selectChangedSchedules(wanted, running),
      );
    },
  );
});
