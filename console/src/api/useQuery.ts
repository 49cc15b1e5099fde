import { useCallback, useEffect, useState } from 'react';
import type { TypedDocumentString } from '../gql/graphql';
import { request } from './client';

export interface QueryState<R> {
  readonly data: R | null;
  readonly error: Error | null;
  readonly loading: boolean;
  reload(): void;
}

/** Runs a typed query when its variables change, and again every `pollMs` when given. */
export function useQuery<R, V>(
  document: TypedDocumentString<R, V>,
  variables: V,
  options: { pollMs?: number; skip?: boolean } = {},
): QueryState<R> {
  const [data, setData] = useState<R | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(variables);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);

  useEffect(() => {
    if (options.skip) return;
    let live = true;
    const load = () =>
      (request as (d: TypedDocumentString<R, V>, v: V) => Promise<R>)(document, JSON.parse(key) as V).then(
        (answer) => {
          if (!live) return;
          setData(answer);
          setError(null);
          setLoading(false);
        },
        (failure: Error) => {
          if (!live) return;
          setError(failure);
          setLoading(false);
        },
      );
    void load();
    const timer = options.pollMs ? setInterval(load, options.pollMs) : undefined;
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [document, key, generation, options.pollMs, options.skip]);

  return { data, error, loading, reload };
}
