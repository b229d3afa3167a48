// Small pieces the views share: htm bound to Preact, a dialog, a popover, a debounced value.
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

/** A modal dialog: Escape or the backdrop closes it, and focus starts inside it. */
export function Dialog({ title, onClose, children, label }) {
  const box = useRef(null);
  useEffect(() => {
    const before = document.activeElement;
    const first = box.current?.querySelector('button, input, select, textarea, a[href]');
    (first || box.current)?.focus();
    const key = e => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', key);
    return () => {
      document.removeEventListener('keydown', key);
      before?.focus?.();
    };
  }, []);
  return html`<div class="backdrop" onMouseDown=${e => e.target === e.currentTarget && onClose()}>
    <div class="dialog" role="dialog" aria-modal="true" aria-label=${label || title} ref=${box} tabindex="-1">
      <h2>${title}</h2>
      ${children}
    </div>
  </div>`;
}

/** A button that opens a panel below it; a click outside or Escape closes it. */
export function Popover({ label, children, align, buttonClass, disabled, title, testId }) {
  const [open, setOpen] = useState(false);
  const anchor = useRef(null);
  useEffect(() => {
    if (!open) return undefined;
    const outside = e => anchor.current && !anchor.current.contains(e.target) && setOpen(false);
    const key = e => e.key === 'Escape' && setOpen(false);
    document.addEventListener('mousedown', outside);
    document.addEventListener('keydown', key);
    return () => {
      document.removeEventListener('mousedown', outside);
      document.removeEventListener('keydown', key);
    };
  }, [open]);
  return html`<span class="popover-anchor" ref=${anchor}>
    <button type="button" class=${buttonClass || ''} aria-haspopup="true" aria-expanded=${open} disabled=${disabled}
      title=${title} data-test=${testId} onClick=${() => setOpen(!open)}>${label}</button>
    ${open && html`<div class="popover ${align || ''}">${children(() => setOpen(false))}</div>`}
  </span>`;
}

/** `value`, once it has stopped changing for `delay` milliseconds. */
export function useDebounced(value, delay) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

export function ErrorBanner({ error }) {
  if (!error) return null;
  return html`<div class="banner" role="alert">${error.message || String(error)}</div>`;
}
