// The idle floor for bench/cost.js: a Node process with nothing loaded that only waits, to measure beside the
// starters in the same seconds what an idle Node process itself costs on this machine at this moment.
// `node bench/lib/idle-floor.js <spec.json>` (the spec is ignored). Prints `ready 0`; runs until SIGTERM.
import { setInterval } from 'node:timers';

setInterval(() => undefined, 1 << 30);
process.stdout.write('ready 0\n');
