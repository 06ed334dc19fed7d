// The worker file under vitest (runtime/paths.ts, workerPath): loads dev-worker.mjs by import(), for the
// reason worker-entry.cjs gives (require() of an ES module in a thread being terminated aborts the process).
// Not part of the package.
"use strict";

module.exports = import("./dev-worker.mjs").then((m) => m.default);
