import { createContext } from 'preact';
import { useContext, useEffect } from 'preact/hooks';
import { useAsync, type Async } from '../ui/useAsync.js';

/**
 * One page-level error instead of one per card: every card of the analytics page loads through
 * `useCardQuery`, which reports a failure to the page (the page shows a single error with Retry)
 * and loads again when Retry is pressed. The card itself shows only its placeholder meanwhile.
 */
export interface PageStatus {
  /** Bumped by Retry: every card's query runs again. */
  retryRound: number;
  /** A card's failure, or null when it recovered; `card` tells the cards apart. */
  report: (card: string, error: unknown) => void;
  /** The page shows its error: placeholders stop saying they are loading (nothing is, until Retry). */
  failed: boolean;
}

export const PageStatusContext = createContext<PageStatus>({ retryRound: 0, report: () => undefined, failed: false });

/** `useAsync` for a card of the analytics page: re-runs on Retry, reports its error to the page. */
export function useCardQuery<T>(card: string, load: () => Promise<T>, deps: unknown[]): Async<T> {
  const status = useContext(PageStatusContext);
  const result = useAsync(load, [...deps, status.retryRound]);
  useEffect(() => {
    if (!result.loading) status.report(card, result.error ?? null);
  }, [result.loading, result.error]);
  return result;
}
