import { describe, expect, it } from 'vitest';
import { planHealthcheck, type HealthcheckPlan } from '../../src/cli/commands/healthcheck.js';

describe('cli/commands/healthcheck', () => {
  it.each<[string, string, HealthcheckPlan]>([
    [
      '0.0.0.0:8787',
      '',
      { kind: 'probe', url: 'http://127.0.0.1:8787/healthz', host: '127.0.0.1:8787' },
    ],
    [':9000', '', { kind: 'probe', url: 'http://127.0.0.1:9000/healthz', host: '127.0.0.1:9000' }],
    ['[::]:9000', '', { kind: 'probe', url: 'http://[::1]:9000/healthz', host: '[::1]:9000' }],
    ['[::1]:81', '', { kind: 'probe', url: 'http://[::1]:81/healthz', host: '[::1]:81' }],
    [
      '10.1.2.3:8080',
      '',
      { kind: 'probe', url: 'http://10.1.2.3:8080/healthz', host: '10.1.2.3:8080' },
    ],
    [
      '0.0.0.0:8787',
      ' cron.example.com , other',
      { kind: 'probe', url: 'http://127.0.0.1:8787/healthz', host: 'cron.example.com:8787' },
    ],
    [
      '0.0.0.0:8787',
      'cron.example.com:443',
      { kind: 'probe', url: 'http://127.0.0.1:8787/healthz', host: 'cron.example.com:443' },
    ],
  ])('listen %j, allowed hosts %j', (listen, allowed, plan) => {
    expect(planHealthcheck(listen, allowed)).toEqual(plan);
  });

  it.each([
    ['off', /^the endpoint is off/],
    ['OFF', /^the endpoint is off/],
    ['127.0.0.1:0', /lets the system pick the port/],
    ['localhost', /^--listen: expected HOST:PORT/],
  ])('refuses %j', (listen, reason) => {
    const plan = planHealthcheck(listen);
    expect(plan.kind).toBe('refuse');
    expect(plan.kind === 'refuse' ? plan.reason : '').toMatch(reason);
  });
});
