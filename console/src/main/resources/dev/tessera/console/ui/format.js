// How values read in the table and panes: times in the browser's own time zone, sizes in binary
// units, GPUs with their fractions.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

export function formatNumber(value) {
  return value === null || value === undefined ? '' : number.format(value);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return '';
  let value = Number(bytes), unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${number.format(value)} ${UNITS[unit]}`;
}

/** A date-time for an <input type="datetime-local">, in the browser's time zone. */
export function toLocalInput(date) {
  const pad = n => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
