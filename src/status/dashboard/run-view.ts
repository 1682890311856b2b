// The run view: one run's facts, attempts and output tails in a modal dialog, opened from any run button or #run=ID.
import { getJSON, messageOf } from './api.js';
import { $, h, type Child } from './dom.js';
import { formatDuration, formatSpan, formatTime, now, parseTime, titleOf } from './format.js';
import { chainSection, upstreamFact } from './run-chain.js';
import { badge } from './schedules.js';
import { API, state, type ApiRun } from './state.js';

/** Open the run view of run `id` (or refresh it in place: no focus or history change). */
export function openRun(id: string, options?: { refresh?: boolean }): void {
  const dialog = $<HTMLDialogElement>('run-view');
  const refresh = options?.refresh === true;
  if (!refresh) {
    // Moving along a chain inside the open view keeps where focus returns when it closes.
    const active = document.activeElement;
    if (!dialog.open)
      state.opener = active && active !== document.body ? active.getAttribute('data-focus') : null;
    state.openRunId = id;
    dialog.replaceChildren(
      runViewHead(id, null),
      h('div', { class: 'rv-body' }, h('p', { class: 'note', text: 'Loading run…' })),
    );
    if (!dialog.open) dialog.showModal();
    if (location.hash !== '#run=' + encodeURIComponent(id))
      history.replaceState(null, '', '#run=' + encodeURIComponent(id));
  }
  getJSON(API.run(id))
    .then((body) => {
      if (state.openRunId !== id) return;
      const wrapped = (body as { run?: ApiRun } | null)?.run;
      renderRunView(wrapped ?? (body as ApiRun));
    })
    .catch((error: unknown) => {
      if (state.openRunId !== id || refresh) return;
      dialog.replaceChildren(
        runViewHead(id, null),
        h(
          'div',
          { class: 'rv-body' },
          h('p', { class: 'banner', text: 'Cannot load this run: ' + messageOf(error) }),
        ),
      );
    });
}

function runViewHead(id: string, run: ApiRun | null): HTMLDivElement {
  return h(
    'div',
    { class: 'rv-head' },
    h(
      'div',
      {},
      h(
        'h2',
        { id: 'rv-title' },
        run ? [h('span', { text: run.schedule }), badge(run.status)] : 'Run',
      ),
      h('div', { class: 'rv-id', text: 'Run ' + id }),
    ),
    h('button', {
      class: 'btn',
      type: 'button',
      'data-action': 'close-run',
      'aria-label': 'Close run view',
      text: 'Close',
    }),
  );
}

function row(label: string, value: Child, title?: string | null): Child[] {
  return [h('dt', { text: label }), h('dd', { title: title || null }, value)];
}

function renderRunView(run: ApiRun): void {
  const dialog = $<HTMLDialogElement>('run-view');
  const body = h('div', { class: 'rv-body' });
  const duration =
    run.status === 'running' && run.startedAt
      ? h('span', {
          'data-elapsed': run.startedAt,
          text: formatSpan(now() - parseTime(run.startedAt)),
        })
      : formatDuration(run.durationMs);
  const facts = [
    row('Status', [badge(run.status)]),
    run.reason ? row('Reason', run.reason) : null,
    row('Trigger', run.trigger),
    upstreamFact(run),
    row('Scheduled', formatTime(run.scheduledAt), titleOf(run.scheduledAt)),
    row('Started', formatTime(run.startedAt), titleOf(run.startedAt)),
    row(
      'Finished',
      run.finishedAt
        ? formatTime(run.finishedAt)
        : run.status === 'running'
          ? 'still running'
          : '—',
      titleOf(run.finishedAt),
    ),
    row('Duration', duration),
    run.missed
      ? row(
          'Missed',
          run.missed.count +
            (run.missed.count === 1 ? ' fire' : ' fires') +
            ', ' +
            formatTime(run.missed.first) +
            ' – ' +
            formatTime(run.missed.last),
        )
      : null,
  ];
  body.append(h('dl', { class: 'kv' }, facts), chainSection(run));
  const attempts = run.attempts;
  if (attempts.length !== 1)
    body.append(
      h('h3', { text: attempts.length ? attempts.length + ' attempts' : 'No attempt was made' }),
    );
  for (const attempt of attempts) {
    const took =
      attempt.finishedAt && attempt.startedAt
        ? parseTime(attempt.finishedAt) - parseTime(attempt.startedAt)
        : null;
    const ended = attempt.signal
      ? 'signal ' + attempt.signal
      : attempt.exitCode !== null && attempt.exitCode !== undefined
        ? 'exit code ' + attempt.exitCode
        : attempt.finishedAt
          ? 'no exit code'
          : 'running';
    const output = attempt.outputTail;
    body.append(
      h(
        'section',
        { class: 'attempt', 'aria-label': 'Attempt ' + attempt.attempt },
        h(
          'div',
          { class: 'attempt-head' },
          h('h3', { text: 'Attempt ' + attempt.attempt }),
          h('span', { class: 'mono', text: ended }),
          h('span', {
            title: titleOf(attempt.startedAt),
            text: 'started ' + formatTime(attempt.startedAt),
          }),
          attempt.finishedAt
            ? h('span', {
                title: titleOf(attempt.finishedAt),
                text: 'finished ' + formatTime(attempt.finishedAt),
              })
            : null,
          took !== null ? h('span', { text: formatDuration(took) }) : null,
        ),
        attempt.error ? h('p', { class: 'banner', text: attempt.error }) : null,
        output
          ? h('pre', {
              class: 'output',
              tabindex: '0',
              'aria-label': 'Output of attempt ' + attempt.attempt,
              text: output,
            })
          : h('pre', {
              class: 'output none',
              text:
                run.status === 'running' && !attempt.finishedAt
                  ? 'The output is shown when the attempt ends.'
                  : 'No output.',
            }),
      ),
    );
  }
  const hadFocus = dialog.contains(document.activeElement);
  dialog.replaceChildren(runViewHead(run.id, run), body);
  if (hadFocus && dialog.open)
    dialog.querySelector<HTMLElement>('[data-action="close-run"]')?.focus();
}

/** Close the run view (the dialog's close handler restores focus and the URL). */
export function closeRunView(): void {
  const dialog = $<HTMLDialogElement>('run-view');
  if (dialog.open) dialog.close();
}
