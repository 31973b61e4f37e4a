// One live frame, one render: react-query tells its observers of a `setQueryData` in a later
// `setTimeout(0)` task, so data applied in an animation frame rendered one frame later, after a
// frame that painted only the live badge. `commitLiveFrame` runs the frame's updates with those
// notifications held back, then hands them and the frame's own state updates to React in one
// `flushSync`: the DOM changes before this frame's paint, once.
import { defaultScheduler, notifyManager } from '@tanstack/react-query';
import { flushSync } from 'react-dom';

type Notify = () => void;

let held: Notify[] | undefined;
let installed = false;

/** react-query's scheduler: its default, except inside {@link commitLiveFrame}. */
function install(): void {
  if (installed) return;
  installed = true;
  notifyManager.setScheduler((notify) => {
    if (held) held.push(notify);
    else defaultScheduler(notify);
  });
}

/**
 * Runs `update` (query data changes) and then, in one synchronous React render, the observer
 * notifications it caused and the commit `update` returns (component state updates and
 * callbacks that read what it applied). Nested calls join the outer one.
 */
export function commitLiveFrame(update: () => (() => void) | void): void {
  install();
  if (held) {
    update()?.();
    return;
  }
  const notifications: Notify[] = [];
  held = notifications;
  let commit: (() => void) | void;
  try {
    commit = update();
  } finally {
    held = undefined;
  }
  flushSync(() => {
    // A notification may schedule more (react-query batches): those take the default path.
    for (const notify of notifications) notify();
    commit?.();
  });
}
