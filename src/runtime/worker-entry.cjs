// The file piscina loads in each worker thread (runtime/paths.ts, workerPath): a CommonJS entry whose export
// resolves to the handler of the ES module worker.js beside it. piscina loads a worker file with require()
// first; requiring an ES module (require(esm), Node 20.19+) while the thread is terminated aborts the whole
// process (a failed V8 check in Node's module loader, "IsGraphAsync must be used on an instantiated module",
// or an assertion in CreateRequiredModuleFacade). Loaded by import() from here, a killed thread's load simply
// stops. piscina awaits the export before it reports the worker ready.
"use strict";

module.exports = import("./worker.js").then((m) => m.default);
