// The nine workload phases, each with a colour (app.css, --phase-*) and an icon, so a status
// reads at a glance and without colour alone.
import { h } from 'preact';

const PATHS = {
  // dashed circle: being made
  Creating: 'M12 3a9 9 0 0 1 4 1M20 8a9 9 0 0 1 1 4M20 16a9 9 0 0 1-4 4M12 21a9 9 0 0 1-4-1M4 16a9 9 0 0 1-1-4M4 8a9 9 0 0 1 4-4',
  // hourglass: waiting for room
  Pending: 'M7 3h10M7 21h10M8 3c0 5 8 5 8 9s-8 4-8 9M16 3c0 5-8 5-8 9s8 4 8 9',
  // arrows turning: pulling images, starting
  Initializing: 'M20 12a8 8 0 1 1-3-6.2M20 4v5h-5',
  // play in a circle
  Running: 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M10 8.5v7l6-3.5z',
  // warning triangle
  Degraded: 'M12 3l10 18H2zM12 10v5M12 18v.5',
  // square: stopped
  Stopped: 'M6 6h12v12H6z',
  // bin
  Deleting: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  // cross in a circle
  Failed: 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M9 9l6 6M15 9l-6 6',
  // tick in a circle
  Completed: 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M8 12.5l3 3 5-6',
};

export const PHASES = Object.keys(PATHS);

/** Phases whose reason is worth a hover: why it waits, what broke. */
export const EXPLAINED = new Set(['Pending', 'Degraded', 'Failed']);

export function PhaseIcon({ phase }) {
  return h('svg', { class: 'icon', viewBox: '0 0 24 24', 'aria-hidden': 'true' },
    h('path', { d: PATHS[phase] || PATHS.Creating }));
}

/** An external workload's mark: a box with an arrow out of it, run from elsewhere. */
const EXTERNAL = 'M14 4h6v6M20 4l-8 8M18 14v5H5V6h5';

/**
 * A row's type: the kind's label for the kinds Tessera runs ("training"); for an external
 * workload, the kind of the object that runs it ("PyTorchJob") with its own mark, so it reads as
 * what the user created.
 */
export function TypeLabel({ row }) {
  if (row.type !== 'external') return h('span', { class: 'type', 'data-type': row.type }, row.type);
  const owner = row.ownerKind ? `${row.ownerKind} ${row.ownerName}` : 'another controller';
  return h('span', {
    class: 'type external',
    'data-type': 'external',
    title: `External workload: ${owner}, run by its own controller; Tessera schedules and shows it`,
  }, h('svg', { class: 'icon', viewBox: '0 0 24 24', 'aria-hidden': 'true' }, h('path', { d: EXTERNAL })),
  h('span', null, row.ownerKind || 'external'));
}

export function Status({ row }) {
  const phase = row.status || 'Creating';
  const why = EXPLAINED.has(phase) ? row.statusMessage || row.statusReason || '' : '';
  return h('span', {
    class: `status phase-${phase.toLowerCase()}`,
    title: why || undefined,
    'data-phase': phase,
  }, h(PhaseIcon, { phase }), h('span', null, phase), why ? h('span', { class: 'why', 'aria-label': `: ${why}` }, 'ⓘ') : null);
}
