import { useEffect, useState } from 'preact/hooks';

/**
 * A counter for cards that poll: it moves every `ms` while the tab is visible, and once more as
 * soon as the tab is shown again. A hidden tab asks the server nothing: a dashboard left open in a
 * background tab all day costs no queries.
 */
export function useVisibleTicks(ms: number): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const start = (): void => {
      clearInterval(timer);
      timer = setInterval(() => setTick((n) => n + 1), ms);
    };
    const onVisibility = (): void => {
      if (document.visibilityState === 'visible') {
        setTick((n) => n + 1);
        start();
      } else clearInterval(timer);
    };
    if (document.visibilityState === 'visible') start();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [ms]);
  return tick;
}
