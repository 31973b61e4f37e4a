// One ticking clock for the whole app: count-downs and "registered for" durations read it, so a
// 1,000-row table has one timer, and only the cells that show time re-render each second.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';

const ClockContext = createContext<number>(Date.now());

/** Provides the current time (epoch ms), updated every `intervalMs` (default 1000). */
export function ClockProvider({ children, intervalMs = 1000 }: { children: ReactNode; intervalMs?: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return <ClockContext.Provider value={now}>{children}</ClockContext.Provider>;
}

/** The current time, ticking once a second. */
export function useNow(): number {
  return useContext(ClockContext);
}
