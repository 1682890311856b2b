// The dashboard's state in the browser, its constants, and the shapes of the daemon's answers it reads.
import type { ApiRun } from '../run-view.js';
import type { StatusSchedule, StatusSnapshot } from '../snapshot.js';
import type { TimelineDocument, TimelineLane } from '../timeline.js';
import { RUN_STATUSES } from '../../history/run-status.js';

export type { ApiRun, StatusSchedule, StatusSnapshot, TimelineDocument, TimelineLane };

/** The daemon's read-only endpoints: the only requests the page makes. */
export const API = {
  status: '/status',
  runs: '/api/v1/runs',
  run: (id: string): string => '/api/v1/runs/' + encodeURIComponent(id),
  scheduleRuns: (name: string): string => '/api/v1/schedules/' + encodeURIComponent(name) + '/runs',
  events: '/api/v1/events',
  timeline: '/api/v1/timeline',
};
export const STATUS_REFRESH_MS = 10000;
export const REQUEST_TIMEOUT_MS = 10000;
export const PAGE_SIZE = 50;
export const SPARK_RUNS = 30;
export const DAY_MS = 86400000;
export { RUN_STATUSES };
export const OUTCOMES = ['succeeded', 'failed', 'timedOut', 'interrupted', 'cancelled'];
export const HEALTH_WORDS = [
  'ok',
  'failing',
  'stale',
  'inactive',
  'suspended',
  'degraded',
  'clock-anomaly',
];

/** Health words the "Problems only" filter keeps. */
export const PROBLEM_HEALTH = ['failing', 'stale', 'degraded', 'clock-anomaly'];

/** How the page hears about changes. */
export type Connection = 'connecting' | 'live' | 'reconnecting' | 'polling';

/** The run-history filters, as the form holds them. */
export interface RunFilters {
  status: string;
  schedule: string;
  since: string;
  until: string;
}

/** A rendered table row and the key of what it shows (rebuilt only when the key changes). */
export interface RowEntry {
  key: string;
  row: HTMLTableRowElement;
}

/** Everything the page knows; one object, read by every renderer. */
export interface DashboardState {
  status: StatusSnapshot | null;
  statusError: string;
  connection: Connection;
  textFilter: string;
  labelFilter: string;
  /** Show only schedules whose health is a problem (PROBLEM_HEALTH). */
  problemsOnly: boolean;
  runFilters: RunFilters;
  runs: ApiRun[];
  /** How many runs the history shows: a page, plus a page per "Load more". */
  runsLimit: number;
  nextCursor: string | null;
  runsLoading: boolean;
  runsError: string;
  runsToken: number;
  spark: Map<string, ApiRun[]>;
  sparkLoading: Set<string>;
  openRunId: string | null;
  opener: string | null;
  scheduleRows: Map<string, RowEntry>;
  runRows: Map<string, RowEntry>;
  timelineKey: string;
  /** The last /api/v1/timeline answer. */
  timeline: TimelineDocument | null;
  labelOptionsKey: string;
  scheduleOptionsKey: string;
}

export const state: DashboardState = {
  status: null,
  statusError: '',
  connection: 'connecting',
  textFilter: '',
  labelFilter: '',
  problemsOnly: false,
  runFilters: { status: '', schedule: '', since: '', until: '' },
  runs: [],
  runsLimit: PAGE_SIZE,
  nextCursor: null,
  runsLoading: false,
  runsError: '',
  runsToken: 0,
  spark: new Map(),
  sparkLoading: new Set(),
  openRunId: null,
  opener: null,
  scheduleRows: new Map(),
  runRows: new Map(),
  timelineKey: '',
  timeline: null,
  labelOptionsKey: '',
  scheduleOptionsKey: '',
};
