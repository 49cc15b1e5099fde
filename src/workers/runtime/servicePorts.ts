/**
 * A job's view of service calls whose answer it does not read: it needs only that they were recorded. The
 * in-process services satisfy it, and so do the API's worker mutations (src/workers/remote).
 */
export type Reports<Service, Name extends keyof Service> = {
  readonly [M in Name]: Service[M] extends (...args: infer A) => Promise<unknown>
    ? (...args: A) => Promise<unknown>
    : never;
};
