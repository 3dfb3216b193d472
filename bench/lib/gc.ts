/**
 * A full GC between rounds needs --expose-gc; `npm run bench` passes no flags (and workers get
 * none), so it is switched on here. Without it, rounds run without a forced GC.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

export function exposeGc(): () => void {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return gc as () => void;
  } catch {
    // fall through
  }
  return () => {};
}

/** Bytes of the V8 heap and of the ArrayBuffer memory beside it (SharedArrayBuffers too): what the memory suite weighs. */
export function heapAndBuffers(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
