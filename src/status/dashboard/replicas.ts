// The replicas panel (with `--store`): each replica's host, version, heartbeat age, clock offset and
// configuration digest, and the warning when their configurations have differed too long.
import { $, h } from './dom.js';
import { formatSpan } from './format.js';
import type { StatusSnapshot } from './state.js';

type Cluster = NonNullable<StatusSnapshot['cluster']>;

function offsetText(ms: number | null): string {
  if (ms === null) return '–';
  return (ms > 0 ? '+' : '') + ms + ' ms';
}

function buildRow(replica: Cluster['replicas'][number], digests: number): HTMLTableRowElement {
  return h(
    'tr',
    { class: replica.live ? null : 'muted', 'data-replica': replica.id },
    h('td', {}, h('code', { text: replica.id }), replica.self ? ' (this one)' : ''),
    h('td', { text: replica.host }),
    h('td', { text: replica.version }),
    h('td', {
      class: 'num',
      text: formatSpan(replica.heartbeatAgeMs) + ' ago' + (replica.live ? '' : ' (gone)'),
    }),
    h('td', { class: 'num', text: offsetText(replica.clockOffsetMs) }),
    h('td', {
      class: digests > 1 ? 'digest differs' : 'digest',
      text: replica.configDigest === null ? '–' : replica.configDigest.slice(0, 12),
    }),
  );
}

/** Show the panel when the daemon runs on a store; hide it otherwise. */
export function renderReplicas(status: StatusSnapshot): void {
  const section = $('replicas');
  const cluster = status.cluster;
  section.hidden = cluster === null;
  if (cluster === null) return;
  const live = cluster.replicas.filter((replica) => replica.live).length;
  $('replicas-count').textContent = live + ' live';
  const warning = $('replicas-warning');
  warning.hidden = cluster.warning === null;
  warning.textContent = cluster.warning ?? '';
  const head = h(
    'tr',
    {},
    ...['Replica', 'Host', 'Version', 'Heartbeat', 'Clock offset', 'Configuration'].map((text) =>
      h('th', { text, class: text === 'Heartbeat' || text === 'Clock offset' ? 'num' : null }),
    ),
  );
  $('replicas-table').replaceChildren(
    h(
      'table',
      {},
      h('thead', {}, head),
      h(
        'tbody',
        {},
        ...cluster.replicas.map((replica) => buildRow(replica, cluster.configDigests)),
      ),
    ),
  );
}
