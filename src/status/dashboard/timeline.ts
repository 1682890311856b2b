// The 24-hour timeline of upcoming fires: one lane per schedule, drawn from GET /api/v1/timeline (the firing engine's fires).
import { getJSON } from './api.js';
import { $, svgEl } from './dom.js';
import { formatSpan, formatTime, pad, parseTime, WEEKDAYS } from './format.js';
import { matchesScheduleFilters } from './schedules.js';
import {
  API,
  DAY_MS,
  state,
  type StatusSchedule,
  type TimelineDocument,
  type TimelineLane,
} from './state.js';

/** Fetch the fires of the next 24 hours (once a minute, and when the schedules change). */
export async function loadTimeline(): Promise<void> {
  try {
    state.timeline = (await getJSON(API.timeline)) as TimelineDocument;
    renderTimeline();
  } catch {
    // The next minute tries again; the old lanes stay.
  }
}

/** A schedule with no times of its own: it runs after others' runs ("after extract (succeeded)"). */
function afterOnly(schedule: StatusSchedule): boolean {
  return schedule.after !== undefined && schedule.schedule.startsWith('after ');
}

/** Why a lane has no fires: outside its window, or suspended. */
export function windowNote(schedule: StatusSchedule): string {
  if (schedule.suspended) return 'suspended';
  if (schedule.window === 'ended') return 'ended ' + formatTime(schedule.activeUntil);
  if (schedule.window === 'not-started') return 'starts ' + formatTime(schedule.activeFrom);
  return 'no fire in the next 24 hours';
}

interface LaneGeometry {
  /** The start of the plot ("now"), in ms. */
  from: number;
  y: number;
  lane: number;
  width: number;
  xOf: (t: number) => number;
}

/** One lane: ticks for fires, bands for fires closer than 3 px, a cadence label for a frequent schedule. */
function drawLane(
  svg: SVGSVGElement,
  schedule: StatusSchedule,
  data: TimelineLane,
  at: LaneGeometry,
): void {
  const { y, lane, xOf } = at;
  if (data.fires === null) {
    const x1 = xOf(parseTime(data.first));
    const x2 = xOf(parseTime(data.last));
    const every =
      'every ' +
      formatSpan(data.everyMs ?? 0)
        .replace(/ 00s$/, '')
        .replace(/ 00m$/, '');
    const band = svgEl('rect', {
      class: 'cadence',
      x: x1,
      y: y + 9,
      width: Math.max(2, x2 - x1),
      height: lane - 18,
      rx: 2,
    });
    band.append(
      svgEl('title', {
        text:
          schedule.name +
          ' · ' +
          every +
          ', ' +
          formatTime(data.first) +
          ' – ' +
          formatTime(data.last),
      }),
    );
    svg.append(band);
    const label = svgEl('text', {
      class: 'cadence-label',
      x: x1 + 6,
      y: y + lane / 2 + 4,
      text: every,
    });
    svg.append(label);
    return;
  }
  const fires = data.fires.map(parseTime);
  if (!fires.length) {
    const next = schedule.nextFires[0] ?? null;
    svg.append(
      svgEl('text', {
        class: 'lane-note',
        // At "now": a lane without fires has no first fire to start from.
        x: xOf(at.from) + 8,
        y: y + lane / 2 + 4,
        text: next
          ? 'next fire ' + formatTime(next)
          : afterOnly(schedule)
            ? schedule.humanSchedule
            : 'no fire in the next 24 hours',
      }),
    );
    return;
  }
  let group: number[] = [fires[0] ?? 0];
  const flush = (): void => {
    const first = group[0] ?? 0;
    const last = group[group.length - 1] ?? first;
    const x1 = xOf(first);
    const x2 = xOf(last);
    if (group.length === 1) {
      const tick = svgEl('line', { class: 'tick', x1, x2: x1, y1: y + 7, y2: y + lane - 7 });
      tick.append(
        svgEl('title', { text: schedule.name + ' · ' + formatTime(new Date(first).toISOString()) }),
      );
      svg.append(tick);
    } else {
      const band = svgEl('rect', {
        class: 'band',
        x: x1 - 1,
        y: y + 7,
        width: Math.max(2, x2 - x1 + 2),
        height: lane - 14,
        rx: 2,
      });
      band.append(
        svgEl('title', {
          text:
            schedule.name +
            ' · ' +
            group.length +
            ' fires, ' +
            formatTime(new Date(first).toISOString()) +
            ' – ' +
            formatTime(new Date(last).toISOString()),
        }),
      );
      svg.append(band);
    }
  };
  for (const t of fires.slice(1)) {
    if (xOf(t) - xOf(group[group.length - 1] ?? t) < 3) group.push(t);
    else {
      flush();
      group = [t];
    }
  }
  flush();
}

/** Draw the timeline from the last /api/v1/timeline answer (filtered like the table). */
export function renderTimeline(): void {
  const status = state.status;
  const timeline = state.timeline;
  if (!status || !timeline) return;
  const wrap = $('timeline-chart');
  const width = Math.max(640, Math.floor((wrap.clientWidth || 0) - 32));
  const from = parseTime(timeline.from);
  const lanes = new Map(timeline.schedules.map((lane) => [lane.name, lane]));
  const schedules = status.schedules.filter(matchesScheduleFilters);
  const key = JSON.stringify([
    width,
    timeline.from,
    schedules.map((s) => [s.name, s.suspended, s.window]),
    timeline.schedules,
  ]);
  if (key === state.timelineKey) return;
  state.timelineKey = key;
  const to = from + DAY_MS;
  const labelWidth = Math.min(190, Math.round(width * 0.2));
  const right = 14;
  const top = 26;
  const laneHeight = 28;
  const height = top + Math.max(1, schedules.length) * laneHeight + 6;
  const plot = width - labelWidth - right;
  const xOf = (t: number): number => labelWidth + ((t - from) / DAY_MS) * plot;
  const svg = svgEl('svg', {
    class: 'timeline',
    width,
    height,
    viewBox: '0 0 ' + width + ' ' + height,
    role: 'img',
    'aria-labelledby': 'timeline-title timeline-desc',
  });
  // Hour grid in the browser's time zone; a dashed line and the weekday at midnight.
  const labelEvery = plot < 700 ? 6 : 3;
  const firstHour = new Date(from);
  firstHour.setMinutes(60, 0, 0);
  for (let t = firstHour.getTime(); t < to; t += 3600000) {
    const d = new Date(t);
    const x = xOf(t);
    const midnight = d.getHours() === 0;
    svg.append(
      svgEl('line', {
        class: 'grid' + (midnight ? ' day' : ''),
        x1: x,
        x2: x,
        y1: top - 6,
        y2: height - 4,
      }),
    );
    // No hour or day label so close to the start that it would overlap "now".
    if ((midnight || d.getHours() % labelEvery === 0) && x - labelWidth >= 36) {
      svg.append(
        svgEl('text', {
          x,
          y: 14,
          'text-anchor': 'middle',
          text: midnight ? WEEKDAYS[d.getDay()] + ' ' + d.getDate() : pad(d.getHours()) + ':00',
        }),
      );
    }
  }
  svg.append(
    svgEl('line', { class: 'now', x1: labelWidth, x2: labelWidth, y1: top - 8, y2: height - 4 }),
  );
  svg.append(
    svgEl('text', {
      class: 'now-label',
      x: labelWidth,
      y: 14,
      'text-anchor': 'middle',
      text: 'now',
    }),
  );
  if (!schedules.length) {
    svg.append(
      svgEl('text', {
        class: 'lane-note',
        x: labelWidth + 10,
        y: top + 18,
        text: status.schedules.length ? 'No schedule matches the filter' : 'No schedules',
      }),
    );
  }
  const maxChars = Math.max(6, Math.floor((labelWidth - 14) / 7));
  schedules.forEach((schedule, index) => {
    const y = top + index * laneHeight;
    svg.append(
      svgEl('rect', {
        class: 'lane-bg',
        x: labelWidth,
        y: y + 3,
        width: plot,
        height: laneHeight - 6,
        rx: 3,
      }),
    );
    const name =
      schedule.name.length > maxChars ? schedule.name.slice(0, maxChars - 1) + '…' : schedule.name;
    const text = svgEl('text', { class: 'lane-name', x: 0, y: y + laneHeight / 2 + 4, text: name });
    text.append(
      svgEl('title', {
        text: schedule.name + ' · ' + schedule.humanSchedule + ' (' + schedule.timezone + ')',
      }),
    );
    svg.append(text);
    if (schedule.suspended) {
      svg.append(
        svgEl('text', {
          class: 'lane-note',
          x: labelWidth + 8,
          y: y + laneHeight / 2 + 4,
          text: 'suspended',
        }),
      );
      return;
    }
    const data = lanes.get(schedule.name);
    if (schedule.window !== 'active' || !data) {
      svg.append(
        svgEl('text', {
          class: 'lane-note',
          x: labelWidth + 8,
          y: y + laneHeight / 2 + 4,
          text: windowNote(schedule),
        }),
      );
      return;
    }
    drawLane(svg, schedule, data, { from, y, lane: laneHeight, xOf, width });
  });
  wrap.replaceChildren(svg);
  $('timeline-zone').textContent = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
}
