import type { ReactNode } from 'react';

/** An API error as a person reads it: the message, and the code when there is one. */
export function ErrorNote(props: { readonly error: Error | null }) {
  if (!props.error) return null;
  const code = (props.error as { code?: string }).code;
  return (
    <p role="alert" className="error">
      {props.error.message}
      {code ? ` (${code})` : ''}
    </p>
  );
}

export function Section(props: { readonly title: string; readonly children: ReactNode }) {
  return (
    <section>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

export function Json(props: { readonly value: unknown }) {
  return <pre className="json">{JSON.stringify(props.value, null, 2)}</pre>;
}

export const formatNumber = (value: number | null | undefined, digits = 4) =>
  value === null || value === undefined ? '—' : Number(value.toPrecision(digits)).toString();

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes} min ${seconds % 60} s`
    : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * A status as a coloured badge. The API's statuses are upper case (RUNNING, COMPLETED); the style sheet's classes
 * are lower case (status-running), so the class is built from the lower-cased status.
 */
export function StatusBadge(props: { readonly status: string }) {
  return <span className={`status status-${props.status.toLowerCase()}`}>{props.status}</span>;
}
