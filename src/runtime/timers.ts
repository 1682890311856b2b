// The timer primitives the fire loop waits with; injectable so tests drive time by hand.

/** A handle returned by `Timers.set`. */
export type TimerHandle = unknown;

/** setTimeout/clearTimeout and an immediate, behind an interface. */
export interface Timers {
  set(callback: () => void, ms: number): TimerHandle;
  /** Call `callback` every `ms` until cleared: one timer that the runtime re-arms, nothing made per call. */
  every(callback: () => void, ms: number): TimerHandle;
  clear(handle: TimerHandle): void;
  /** Run `callback` on the next turn of the event loop (used to finish the last millisecond). */
  immediate(callback: () => void): TimerHandle;
}

/** The real Node.js timers. Fire-loop timers do not keep the process alive on their own. */
export const systemTimers: Timers = {
  set: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  every: (callback, ms) => {
    const handle = setInterval(callback, ms);
    handle.unref();
    return handle;
  },
  clear: (handle) => {
    clearTimeout(handle as NodeJS.Timeout);
    clearImmediate(handle as NodeJS.Immediate);
  },
  immediate: (callback) => setImmediate(callback),
};
