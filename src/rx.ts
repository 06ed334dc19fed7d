/**
 * The RxJS classes parkir instantiates (`Subject`, `Observable`), loaded at the first engine, gateway or
 * operator rather than at import: importing parkir for its wire format, catalogue or quotes does not pay
 * for RxJS's module graph. They are required from `rxjs/internal/*`, the same CommonJS files that
 * `import ... from "rxjs"` loads in Node, so parkir's observables are the caller's `Observable` class and
 * pipe with the caller's operators.
 */
import { createRequire } from "node:module";
import type { Observable, Subject, Subscriber, TeardownLogic } from "rxjs";

interface RxClasses {
  readonly Subject: typeof Subject;
  readonly Observable: typeof Observable;
}

let loaded: RxClasses | undefined;

function rx(): RxClasses {
  if (loaded === undefined) {
    const require = createRequire(import.meta.url);
    loaded = {
      Subject: (require("rxjs/internal/Subject") as { Subject: typeof Subject }).Subject,
      Observable: (require("rxjs/internal/Observable") as { Observable: typeof Observable }).Observable,
    };
  }
  return loaded;
}

/** A new RxJS `Subject`. */
export function subject<T>(): Subject<T> {
  return new (rx().Subject)<T>();
}

/** A new RxJS `Observable` running `subscribe` for each subscriber. */
export function observable<T>(subscribe: (subscriber: Subscriber<T>) => TeardownLogic): Observable<T> {
  return new (rx().Observable)<T>(subscribe);
}
